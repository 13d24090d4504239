"""Exports read back as a person's spreadsheet would: the preamble states the filters and the cut.

Notices and actors are constructed for these tests (the demo profiles are the bundled ones).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from openpyxl import load_workbook

from veilleuse.app.context import Context
from veilleuse.app.exports import NOTICE_COLUMNS, export_actors, export_search
from veilleuse.app.search import SearchQuery
from veilleuse.app.search_params import parse_query_string
from veilleuse.config.settings import Settings
from veilleuse.core.actors_io import demo_actors_path, load_actors
from veilleuse.core.models import (
    Actor,
    Buyer,
    Capacity,
    Contact,
    CpvInterest,
    EssFamily,
    Money,
    Notice,
    NoticeKind,
    Places,
    Territory,
)

NOW = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)  # 8 h 30 in Paris
DEADLINE = datetime(2026, 12, 12, 12, 0, tzinfo=timezone(timedelta(hours=1)))


def notice(uid: str, title: str, dep: str, **kw: object) -> Notice:
    return Notice.model_validate(
        {
            "uid": uid,
            "source": "boamp",
            "native_id": uid.split(":")[1],
            "kind": NoticeKind.TENDER,
            "title": title,
            "places": Places(departments=[dep]),
            **kw,
        }
    ).with_hash()


NOTICES = [
    notice(
        "boamp:1",
        "Nettoyage des locaux",
        "59",
        deadline=DEADLINE,
        published=date(2026, 11, 20),
        estimated_value=Money(amount=125_000.5),
        reserved=True,
        buyer=Buyer(name="Ville de Lille"),
        cpv=["90910000"],
        url="https://www.boamp.fr/avis/1",
    ),
    notice("boamp:2", "Nettoyage des vitres", "59", deadline=date(2026, 12, 20)),
    notice("boamp:3", '=HYPERLINK("http://evil.example") nettoyage', "59"),
    notice("boamp:4", "Nettoyage au Pas-de-Calais", "62"),
]


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Context]:
    with Context(Settings(data_dir=tmp_path)) as context:
        context.store.write(NOTICES)
        yield context


QUERY = parse_query_string("q=nettoyage&dep=59&sort=deadline")


def read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # BOM: French Excel reads UTF-8
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def test_csv_states_filters_and_the_cut(ctx: Context) -> None:
    export = export_search(ctx, QUERY, "csv", limit=2, now=NOW)
    assert export.filename == "veilleuse-recherche-20261123-0830.csv"
    assert export.media_type.startswith("text/csv")
    assert (export.rows, export.total, export.truncated) == (2, 3, True)
    rows = read_csv(export.content)
    lines = [r[0] if r else "" for r in rows[:8]]
    assert lines[0] == "Veilleuse — avis exportés d'une recherche"
    assert lines[1] == "Exporté le 23 novembre 2026 à 8\u00a0h\u00a030 (heure de Paris)"
    assert lines[2] == (
        "Recherche : http://127.0.0.1:8000/recherche?q=nettoyage&mode=text&dep=59&sort=deadline"
    )
    assert "Mots : « nettoyage » (mots exacts)" in lines
    assert "Département : 59 – Nord" in lines
    assert "Tri : date limite la plus proche" in lines
    assert "Export limité à 2 lignes sur 3 résultats" in lines
    header_at = rows.index([name for name, _ in NOTICE_COLUMNS])
    assert rows[header_at - 1] == []
    data = rows[header_at + 1 :]
    assert [r[0] for r in data] == ["boamp:1", "boamp:2"]
    first = dict(zip([name for name, _ in NOTICE_COLUMNS], data[0], strict=True))
    assert first["Date limite"] == "12/12/2026 12:00"
    assert first["Publié le"] == "20/11/2026"
    assert first["Montant estimé (€)"] == "125000,5"
    assert first["Marché réservé"] == "oui" and first["Clause sociale"] == ""
    assert first["Codes CPV"] == "90910000"
    assert first["Libellés CPV"] == "90910000 Services de nettoyage"
    assert first["Type"] == "Appel d'offres" and first["Statut"] == "ouvert"
    assert first["Fiche Veilleuse"] == "http://127.0.0.1:8000/avis/boamp:1"
    assert data[1][8] == "20/12/2026"  # a bare day stays a day


def test_csv_without_cut_and_formula_text_is_quoted(ctx: Context) -> None:
    export = export_search(ctx, QUERY, "csv", now=NOW)
    assert (export.rows, export.truncated) == (3, False)
    rows = read_csv(export.content)
    assert ["3 avis"] in rows
    assert not any(r and r[0].startswith("Export limité") for r in rows)
    titles = [r[3] for r in rows if r and r[0] == "boamp:3"]
    assert titles == ['\'=HYPERLINK("http://evil.example") nettoyage']


def test_no_filter_says_so(ctx: Context) -> None:
    rows = read_csv(export_search(ctx, SearchQuery(), "csv", now=NOW).content)
    assert ["Aucun filtre : tous les avis"] in rows and ["4 avis"] in rows


def test_xlsx_has_real_dates_a_frozen_bold_header_and_the_preamble(ctx: Context) -> None:
    export = export_search(ctx, QUERY, "xlsx", limit=2, now=NOW)
    assert export.filename.endswith(".xlsx") and export.media_type.endswith(".sheet")
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert sheet is not None and sheet.title == "Avis"
    column_a = [sheet.cell(row=r, column=1).value for r in range(1, 12)]
    assert column_a[0] == "Veilleuse — avis exportés d'une recherche"
    assert "Département : 59 – Nord" in column_a
    assert "Export limité à 2 lignes sur 3 résultats" in column_a
    header_row = column_a.index("Identifiant") + 1
    assert sheet.cell(row=header_row, column=1).font.bold
    assert sheet.freeze_panes == f"A{header_row + 1}"
    assert sheet.column_dimensions["D"].width == 60
    values = [c.value for c in sheet[header_row + 1]]
    assert values[0] == "boamp:1"
    assert values[8] == datetime(2026, 12, 12, 12, 0)  # Paris wall-clock time
    assert sheet.cell(row=header_row + 1, column=9).number_format == "DD/MM/YYYY HH:MM"
    assert values[9] == datetime(2026, 11, 20, 0, 0)  # a date cell
    assert values[10] == 125_000.5
    second = [c.value for c in sheet[header_row + 2]]
    assert second[0] == "boamp:2" and second[8] == datetime(2026, 12, 20, 0, 0)


def test_xlsx_keeps_formula_text_as_text(ctx: Context) -> None:
    export = export_search(ctx, parse_query_string("q=hyperlink"), "xlsx", now=NOW)
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert sheet is not None
    found = [row for row in sheet.iter_rows() if row[0].value == "boamp:3"]
    assert found and found[0][3].data_type == "s"
    assert str(found[0][3].value).startswith("=HYPERLINK")


ACTORS = [
    Actor(
        id="regie-59",
        name="Régie de quartier; Lille-Sud",
        siret="12345678901234",
        legal_form="Association",
        family=EssFamily.SIAE_ACI,
        description="Entretien d'espaces verts, nettoyage",
        cpv_interests=[CpvInterest(code="77310000"), CpvInterest(code="90910000")],
        territory=Territory(departments=["59", "62"], commune="Lille", radius_km=30.0),
        capacity=Capacity(staff=42, turnover=1_250_000.0),
        contacts=[
            Contact(name="Camille Martin", email="camille@regie.example", phone="+33 3 20 00 00 00")
        ],
        provenance="Constructed for the export test",
    ),
    Actor(
        id="esat-05",
        name="ESAT des Alpes",
        family=EssFamily.ESAT,
        territory=Territory(departments=["05"], latitude=44.56, longitude=6.08),
    ),
]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_actor_export_imports_back(ctx: Context, tmp_path: Path, fmt: str) -> None:
    export = export_actors(ctx, ACTORS, fmt, now=NOW)
    assert export.filename == f"veilleuse-acteurs-20261123-0830.{fmt}"
    path = tmp_path / export.filename
    path.write_bytes(export.content)
    assert load_actors(path) == ACTORS


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_demo_profiles_round_trip_through_the_import_format(
    ctx: Context, tmp_path: Path, fmt: str
) -> None:
    demo = load_actors(demo_actors_path())
    path = tmp_path / f"demo.{fmt}"
    path.write_bytes(export_actors(ctx, demo, fmt, now=NOW).content)
    back = {a.id: a for a in load_actors(path)}
    assert list(back) == [a.id for a in demo]
    for actor in demo:
        again = back[actor.id]
        assert (again.name, again.family, again.siret) == (actor.name, actor.family, actor.siret)
        assert again.territory == actor.territory and again.capacity == actor.capacity
        assert again.cpv_codes() == [c.code for c in actor.cpv_interests if c.declared]
        assert again.email() == actor.email()
