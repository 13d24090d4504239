"""Exports of the search page's view: `/recherche/export.csv` and `/recherche/export.xlsx` take
the page's query string, write the filters at the top of the file, then the notices."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from search_data import COUNT, XSS_TITLE, count_where, department, seed

from veilleuse.app.context import Context
from veilleuse.config.settings import Settings

Clients = Callable[[str | None], TestClient]
VIEW = "mode=text&q=nettoyage&dep=59&sort=deadline"
_FILENAME = re.compile(r'^attachment; filename="veilleuse-recherche-\d{8}-\d{4}\.(csv|xlsx)"$')


@pytest.fixture
def ctx(web_app: tuple[FastAPI, Settings]) -> Context:
    app, _ = web_app
    return seed(app)


def nord() -> list[str]:
    """uids of the Nord notices, soonest deadline first (their deadlines grow with i)."""
    return [f"boamp:T{i:02d}" for i in range(COUNT) if department(i) == "59"]


def test_xlsx_has_the_filters_on_top_then_the_rows(client_for: Clients, ctx: Context) -> None:
    response = client_for("officer").get(f"/recherche/export.xlsx?{VIEW}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert _FILENAME.match(response.headers["content-disposition"])
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    head = [row[0] for row in rows[: rows.index([None] * len(rows[0]))]]
    assert head[0].startswith("Veilleuse")
    assert any("recherche?q=nettoyage&mode=text&dep=59&sort=deadline" in str(line) for line in head)
    assert "Mots : « nettoyage » (mots exacts)" in head
    assert "Département : 59 – Nord" in head
    assert "Tri : date limite la plus proche" in head
    header_at = next(i for i, row in enumerate(rows) if row[0] == "Identifiant")
    body = rows[header_at + 1 :]
    assert [row[0] for row in body] == nord()
    assert all(row[5] == "59" for row in body)


def test_csv_likewise_for_french_excel(client_for: Clients, ctx: Context) -> None:
    response = client_for("staff").get(f"/recherche/export.csv?{VIEW}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert _FILENAME.match(response.headers["content-disposition"])
    assert response.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    blank = lines.index([])
    head = [line[0] for line in lines[:blank]]
    assert "Département : 59 – Nord" in head
    assert f"{count_where(lambda i: department(i) == '59')} avis" in head
    assert lines[blank + 1][0] == "Identifiant"
    assert [line[0] for line in lines[blank + 2 :]] == nord()


def test_an_export_without_filters_says_so_and_keeps_text_as_text(
    client_for: Clients, ctx: Context
) -> None:
    response = client_for("committee").get("/recherche/export.csv?mode=text")
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert "Aucun filtre : tous les avis" in text
    assert XSS_TITLE.replace('"', '""') in text  # a title, quoted as CSV, never interpreted
    assert text.count("\r\nboamp:") == COUNT + 1


def test_the_page_links_to_its_exports(client_for: Clients, ctx: Context) -> None:
    page = client_for("officer").get(f"/recherche?{VIEW}&page=1").text
    assert '/recherche/export.csv?q=nettoyage&amp;mode=text&amp;dep=59&amp;sort=deadline"' in page
    assert '/recherche/export.xlsx?q=nettoyage&amp;mode=text&amp;dep=59&amp;sort=deadline"' in page


def test_bad_parameters_answer_400_in_french(client_for: Clients, ctx: Context) -> None:
    response = client_for("officer").get("/recherche/export.xlsx?amount_min=beaucoup")
    assert response.status_code == 400
    assert "n&#39;est pas un montant en euros" in response.text
    assert "content-disposition" not in response.headers


@pytest.mark.parametrize("path", ["/recherche/export.csv", "/recherche/export.xlsx"])
def test_exports_need_the_exports_permission(client_for: Clients, path: str) -> None:
    assert client_for("actor").get(path).status_code == 403
    anonymous = client_for(None).get(path)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/connexion")
    for role in ("admin", "officer", "staff", "committee"):
        assert client_for(role).get(path).status_code == 200, role
