"""`/pilotage`: the committee's statistics page, its charts, its printable version and its XLSX
report, over the world of tests/statistics_world.py added to the web tests' seeded app."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from html import unescape

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_helpers import USERS, post_form

from statistics_world import HERE, THERE, build_world
from veilleuse.app.accounts import get_user_by_email
from veilleuse.app.context import Context
from veilleuse.app.statistics import committee_statistics
from veilleuse.app.statistics_model import CommitteeStatistics
from veilleuse.app.statistics_period import Period
from veilleuse.app.statistics_report import SHEET_NAMES
from veilleuse.config.settings import Settings
from veilleuse.web.middleware import CSP
from veilleuse.web.routes.statistics import SVG_CSP

Clients = Callable[[str | None], TestClient]
PAGE = "/pilotage?territoire=valenciennes&annee=2025"
QUERY = "territoire=valenciennes&annee=2025"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def ctx(web_app: tuple[FastAPI, Settings]) -> Context:
    app, _ = web_app
    context: Context = app.state.ctx
    build_world(context)
    return context


def expected(ctx: Context, period: Period | None = None) -> CommitteeStatistics:
    committee = get_user_by_email(ctx, USERS["committee"][0])
    return committee_statistics(ctx, committee, HERE, period or Period.year(2025))


def cells(html: str, table_key: str) -> list[list[str]]:
    """The text of every row of one table of the page (header cell first)."""
    found = re.search(rf'<table[^>]*id="table-{table_key}".*?</table>', html, re.S)
    assert found, table_key
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(0), re.S)
    return [
        [
            unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)
        ]
        for r in rows
    ]


def test_committee_sees_every_figure_of_its_territory(ctx: Context, client_for: Clients) -> None:
    response = client_for("committee").get(PAGE)
    assert response.status_code == 200
    html = response.text
    stats = expected(ctx)
    assert "Valenciennes (test)" in html and "année 2025" in html.lower()
    for table in stats.tables:
        assert f'id="table-{table.key}"' in html
        assert f'src="/pilotage/graphiques/{table.key}.svg?{QUERY}"'.replace("&", "&amp;") in html
    # the delivered total row, as the use case computes it (6 items, 2 actors reached)
    family = cells(html, "delivery_family")
    assert family[-1][:3] == ["Total", "6", "2"]
    notices = cells(html, "notices")
    assert notices[-1][0] == "Total" and notices[-1][6] == "8"
    social = {row[0]: row for row in cells(html, "social")}
    assert social["Réservés ou avec une clause sociale"][1:3] == ["3", "60,0\u00a0%"]
    assert "Artois" not in html  # the committee's select offers its own territory only


def test_page_keeps_the_sites_csp_and_charts_carry_their_own(
    ctx: Context, client_for: Clients
) -> None:
    client = client_for("committee")
    page = client.get(PAGE)
    assert page.headers["content-security-policy"] == CSP
    assert "style=" not in page.text and "<script" not in page.text
    keys = re.findall(r'src="/pilotage/graphiques/([a-z_]+)\.svg\?', page.text)
    assert set(keys) >= {t.key for t in expected(ctx).tables}
    for key in keys:
        chart = client.get(f"/pilotage/graphiques/{key}.svg?{QUERY}")
        assert chart.status_code == 200, key
        assert chart.headers["content-type"].startswith("image/svg+xml")
        assert chart.headers["content-security-policy"] == SVG_CSP
        root = ET.fromstring(chart.content)  # well-formed XML
        assert root.tag == f"{SVG}svg" and root.get("role") == "img"
        title = root.find(f"{SVG}title")
        assert title is not None and title.text
        assert b"<script" not in chart.content
    assert client.get(f"/pilotage/graphiques/inconnu.svg?{QUERY}").status_code == 404


@pytest.mark.parametrize("role", ["admin", "officer", "staff", "committee", "actor"])
def test_who_may_open_the_pages(ctx: Context, client_for: Clients, role: str) -> None:
    client = client_for(role)
    allowed = role != "actor"
    for path in (
        PAGE,
        f"/pilotage/imprimer?{QUERY}",
        f"/pilotage/rapport.xlsx?{QUERY}",
        f"/pilotage/graphiques/notices.svg?{QUERY}",
    ):
        assert client.get(path).status_code == (200 if allowed else 403), path
    nav = client.get("/compte/mot-de-passe").text
    assert ('href="/pilotage"' in nav) is allowed


def test_anonymous_is_sent_to_login(client_for: Clients) -> None:
    client = client_for(None)
    for path in (
        PAGE,
        f"/pilotage/rapport.xlsx?{QUERY}",
        f"/pilotage/graphiques/social.svg?{QUERY}",
    ):
        response = client.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/connexion")


def test_other_territory_and_bad_periods(ctx: Context, client_for: Clients) -> None:
    committee = client_for("committee")
    assert committee.get("/pilotage?territoire=artois&annee=2025").status_code == 404
    admin = client_for("admin").get("/pilotage?territoire=artois&annee=2025")
    assert admin.status_code == 200 and "Artois (test)" in admin.text
    bad = committee.get("/pilotage?annee=20255")
    assert bad.status_code == 400 and 'aria-invalid="true"' in bad.text
    assert "Année « 20255 » invalide" in unescape(bad.text)
    assert committee.get("/pilotage/rapport.xlsx?du=2025-03-01").status_code == 422
    # default: the user's territory, this year
    assert committee.get("/pilotage").status_code == 200


def test_semester_and_custom_range(ctx: Context, client_for: Clients) -> None:
    client = client_for("committee")
    first = client.get("/pilotage?territoire=valenciennes&annee=2025&semestre=S1").text
    assert cells(first, "delivery_family")[-1][:2] == ["Total", "2"]
    custom = client.get("/pilotage?territoire=valenciennes&du=2025-09-01&au=2025-09-30").text
    assert "du 1er septembre 2025 au 30 septembre 2025" in custom
    assert cells(custom, "delivery_family")[-1][:2] == ["Total", "3"]  # d2 (2) and d3 (1)


def test_printable_version_has_no_navigation(ctx: Context, client_for: Clients) -> None:
    response = client_for("committee").get(f"/pilotage/imprimer?{QUERY}")
    html = response.text
    assert response.status_code == 200 and response.headers["content-security-policy"] == CSP
    assert "main-nav" not in html and "<form" not in html
    assert "statistics.css" in html and 'id="table-delivery_family"' in html


def test_committee_is_offered_nothing_that_changes_data(ctx: Context, client_for: Clients) -> None:
    html = client_for("committee").get(PAGE).text
    posts = re.findall(r'<form[^>]*method="post"[^>]*action="([^"]+)"', html)
    assert posts == ["/deconnexion"]


def test_xlsx_report_one_sheet_per_table_with_its_header_lines(
    ctx: Context, client_for: Clients
) -> None:
    response = client_for("committee").get(f"/pilotage/rapport.xlsx?{QUERY}")
    assert response.status_code == 200
    assert "valenciennes-2025-01-01-2025-12-31.xlsx" in response.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    stats = expected(ctx)
    assert book.sheetnames == [
        SHEET_NAMES["indicators"],
        *(SHEET_NAMES[t.key] for t in stats.tables),
    ]
    for table in stats.tables:
        sheet = book[SHEET_NAMES[table.key]]
        head = [sheet.cell(row=n, column=1).value for n in range(1, 6)]
        assert head[0] == f"Veilleuse — {table.title}"
        assert head[1].startswith("Territoire : Valenciennes (test)")
        assert head[2].startswith("Période : année 2025 (du 1er janvier 2025 au 31 décembre 2025")
        assert head[3].startswith("Rapport du ")
        assert head[4] == table.scope
        header = [c.value for c in sheet[7]]
        assert header == [table.dimension, *table.columns]
        body = [[c.value for c in row] for row in sheet.iter_rows(min_row=8)]
        assert [r[0] for r in body[: len(table.rows)]] == [r.label for r in table.rows]
        for row, values in zip(table.rows, body, strict=False):
            assert row.values == values[1:]
        if table.total is not None:
            assert body[-1] == ["Total", *table.total]
    indicators = book[SHEET_NAMES["indicators"]]
    labels = [indicators.cell(row=n, column=1).value for n in range(8, 8 + len(stats.indicators))]
    assert labels == [i.label for i in stats.indicators]


def test_other_territory_is_not_counted(ctx: Context, client_for: Clients) -> None:
    html = client_for("admin").get("/pilotage?territoire=artois&annee=2025").text
    assert cells(html, "delivery_family")[-1][:3] == ["Total", "1", "1"]
    assert THERE in html


def test_admin_sets_and_removes_a_target_from_the_page(ctx: Context, client_for: Clients) -> None:
    admin = client_for("admin")
    page = admin.get(PAGE).text
    assert 'action="/pilotage/objectifs"' in page and "Aucun objectif fixé" in page
    form = {"territoire": HERE, "indicateur": "bids_submitted", "valeur": "10", "annee": "2025"}
    response = post_form(admin, "/pilotage/objectifs", {**form, "retour": QUERY}, PAGE)
    assert response.status_code == 303
    assert response.headers["location"] == f"/pilotage?{QUERY}#objectifs"
    page = admin.get(PAGE).text
    assert "Objectif enregistré : Réponses groupées déposées, année 2025, 10." in unescape(page)
    row = dict(
        zip(["label", "value", "target", "reached"], cells(page, "indicators")[10], strict=False)
    )
    assert row == {
        "label": "Réponses groupées déposées",
        "value": "4",
        "target": "10objectif fixé pour la période (année 2025)",
        "reached": "40,0\u00a0%",
    }
    assert 'src="/pilotage/graphiques/objectifs.svg?' in page
    chart = admin.get(f"/pilotage/graphiques/objectifs.svg?{QUERY}")
    title = ET.fromstring(chart.content).find(f"{SVG}title")
    assert chart.status_code == 200 and title is not None
    # a committee member sees the target, cannot change it
    committee = client_for("committee")
    assert "40,0\u00a0%" in committee.get(PAGE).text
    refused = post_form(committee, "/pilotage/objectifs", form, "/compte/mot-de-passe")
    assert refused.status_code == 403
    # a bad value is refused with a message; removing works
    bad = post_form(admin, "/pilotage/objectifs", {**form, "valeur": "beaucoup"}, PAGE)
    assert bad.status_code == 303
    assert "un nombre est attendu" in unescape(admin.get(PAGE).text)
    target_id = re.search(r"/pilotage/objectifs/(\d+)/supprimer", page)
    assert target_id is not None
    removed = post_form(admin, f"/pilotage/objectifs/{target_id.group(1)}/supprimer", {}, PAGE)
    assert removed.status_code == 303
    assert "Aucun objectif fixé" in admin.get(PAGE).text
    assert post_form(committee, f"/pilotage/objectifs/{target_id.group(1)}/supprimer", {},
                     "/compte/mot-de-passe").status_code == 403  # fmt: skip
