"""The register's export (app.bid_exports): filters written at the top, one line per bid in the
French words of core.bids, CSV for French Excel and XLSX read back."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bids_world import user, world
from veilleuse.app.bid_edits import create_bid, create_from_suggestion, move_bid
from veilleuse.app.bid_exports import describe_bid_filters, export_bids
from veilleuse.app.context import Context
from veilleuse.core.accounts import Role
from veilleuse.core.bids import BidFilters, BidKind, BidMember, BidStage, MemberRole
from veilleuse.core.errors import PermissionDeniedError

NOW = datetime(2026, 12, 3, 14, 5, tzinfo=UTC)


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Context]:
    with world(tmp_path) as context:
        staff = user(context, Role.STAFF)
        won = create_from_suggestion(context, staff, "boamp:1")
        assert won.id is not None
        for stage in ("interest", "team_formed", "submitted"):
            move_bid(context, staff, won.id, stage)
        move_bid(
            context, staff, won.id, "won", amount_won=84_000.5, shares={"regie": 60, "esat": 40}
        )
        create_bid(
            context,
            staff,
            "aap:1",
            [BidMember(actor_id="ressourcerie", role=MemberRole.LEAD)],
            notes='=HYPERLINK("http://x")',
        )
        create_bid(
            context, user(context, Role.ADMIN, None), "boamp:2", [BidMember(actor_id="lille")]
        )
        yield context


def test_csv_export_writes_its_filters_then_one_line_per_bid(ctx: Context) -> None:
    committee = user(ctx, Role.COMMITTEE)
    export = export_bids(ctx, committee, None, "csv", now=NOW)
    assert export.filename == "veilleuse-groupements-20261203-1505.csv"
    assert (export.rows, export.total, export.truncated) == (2, 2, False)
    text = export.content.decode("utf-8-sig")
    lines = text.split("\r\n")
    assert lines[0] == "Veilleuse — groupements (candidatures groupées)"
    assert lines[1] == "Exporté le 3 décembre 2026 à 15\u00a0h\u00a005 (heure de Paris)"
    assert lines[2] == "Territoires : valenciennes"  # the user's own territory, always
    assert lines[3] == "2 groupements"
    table = list(csv.reader(io.StringIO("\r\n".join(lines[5:])), delimiter=";"))
    header = table[0]
    assert header[:6] == ["N°", "Nature", "Titre", "Avis", "Territoire", "Étape"]
    first = dict(zip(header, table[1], strict=True))
    assert first["Étape"] == "gagnée" and first["Mandataire"] == "Régie de quartier"
    assert first["Membres"] == (
        "Régie de quartier (mandataire, lots LOT-1, 60\u00a0%) ; "
        "ESAT du Hainaut (cotraitant, lots LOT-2, 40\u00a0%)"
    )
    assert (first["Montant gagné"], first["Devise"], first["Issu d'une suggestion"]) == (
        "84000,5",
        "EUR",
        "oui",
    )
    assert first["Fiche Veilleuse"].endswith("/groupements/1")
    second = dict(zip(header, table[2], strict=True))
    assert second["Nature"] == "appel à projets" and second["Étape"] == "repérée"
    assert "lille" not in text  # another territory's bid


def test_xlsx_export_with_filters_and_a_limit(ctx: Context) -> None:
    admin = user(ctx, Role.ADMIN, None)
    filters = BidFilters(
        stages=[BidStage.SPOTTED],
        kinds=[BidKind.TENDER],
        actor_ids=["lille"],
        created_from=date(2026, 1, 1),
    )
    assert describe_bid_filters(ctx, filters) == [
        "Étapes : repérée",
        "Nature : marché public",
        "Structures membres : Coopérative lilloise",
        "Créés à partir du 01/01/2026",
    ]
    export = export_bids(ctx, admin, BidFilters(), "xlsx", limit=2, now=NOW)
    assert (export.rows, export.total, export.truncated) == (2, 3, True)
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert sheet is not None
    assert sheet["A3"].value == "Aucun filtre : tous les groupements visibles"
    assert sheet["A4"].value == "Export limité à 2 lignes sur 3 groupements"
    assert sheet["K7"].value == 84_000.5 and isinstance(sheet["T7"].value, datetime)
    notes = export_bids(ctx, admin, BidFilters(kinds=[BidKind.FUNDING]), "csv", now=NOW)
    assert "HYPERLINK" not in notes.content.decode("utf-8-sig")  # notes are not exported
    with pytest.raises(PermissionDeniedError):
        export_bids(ctx, user(ctx, Role.ACTOR), None, "csv")
    with pytest.raises(ValueError):
        export_bids(ctx, admin, None, "pdf")
