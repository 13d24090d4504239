"""The committee's SVG charts: valid XML, a title and a description, text kept as text, no
script, the same bytes for the same data; an empty table still gives a chart saying so."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from veilleuse.app.statistics_model import Chart, ChartKind, Indicator, StatRow, StatTable, Unit
from veilleuse.web.charts import indicators_chart, table_chart

SVG = "{http://www.w3.org/2000/svg}"


def table(kind: ChartKind, rows: list[StatRow]) -> StatTable:
    return StatTable(
        key="essai",
        title="Essai <de> titre & co",
        scope="constitué pour le test",
        dimension="Ligne",
        columns=["A", "B"],
        units=[Unit.COUNT, Unit.EUR],
        rows=rows,
        chart=Chart(kind=kind, columns=[0, 1] if kind is not ChartKind.FUNNEL else [0]),
        summary="Résumé : A vaut 3",
    )


ROWS = [
    StatRow(
        key="x",
        label="Première ligne au libellé très long, coupé sur le graphique",
        values=[3, 1200.0],
    ),
    StatRow(key="y", label="Seconde", values=[1, None]),
]


def parse(svg: bytes) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.get("aria-labelledby") == "chart-title chart-desc"
    return root


@pytest.mark.parametrize("kind", list(ChartKind))
def test_every_kind_of_chart(kind: ChartKind) -> None:
    svg = table_chart(table(kind, ROWS))
    root = parse(svg)
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text == "Essai <de> titre & co"
    assert desc is not None and desc.text == "Résumé : A vaut 3"
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "Seconde" in texts  # the labels are <text>, not paths
    assert b"<script" not in svg and b"<foreignObject" not in svg
    assert not re.search(rb'href="(?!#)|url\((?!#)', svg)  # nothing loaded from elsewhere
    assert table_chart(table(kind, ROWS)) == svg  # no date, stable ids


def test_empty_tables_and_indicators_without_target() -> None:
    root = parse(table_chart(table(ChartKind.BARS, [])))
    assert "Aucune donnée" in " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    none = Indicator(metric="m", label="Sans objectif", unit=Unit.COUNT, value=3)
    root = parse(indicators_chart([none], "Objectifs"))
    desc = root.find(f"{SVG}desc")
    assert desc is not None and desc.text == "Aucun objectif fixé pour cette période."
    some = Indicator(metric="m", label="Avec", unit=Unit.COUNT, value=3, target=4, reached=75.0)
    desc = parse(indicators_chart([none, some], "Objectifs")).find(f"{SVG}desc")
    assert desc is not None and desc.text == "Avec : 75,0 % de l'objectif"


def test_a_table_without_chart_is_refused() -> None:
    plain = table(ChartKind.BARS, ROWS).model_copy(update={"chart": None})
    with pytest.raises(ValueError):
        table_chart(plain)
