"""The steering committee's report: the statistics of a territory and period as an XLSX workbook.

One sheet for the plan's indicators against their targets, then one sheet per table of the page,
in the page's order. Every sheet starts with the territory, the period and the date of the
report, then what the table counts (its scope), so a sheet copied alone still says what it is.
"""

from __future__ import annotations

import re

from veilleuse.app.spreadsheets import Sheet, xlsx_book_bytes
from veilleuse.app.statistics_model import CommitteeStatistics, StatTable, Unit
from veilleuse.app.wording import format_date_fr, format_datetime_fr

#: sheet names (Excel allows 31 characters, without []:*?/\)
SHEET_NAMES = {
    "indicators": "Objectifs du plan",
    "notices": "Avis collectés",
    "social": "Réservés et clauses",
    "delivery_family": "Envois par famille",
    "delivery_cpv": "Envois par CPV",
    "bids_stage": "Groupements par étape",
    "bids_funnel": "Entonnoir",
    "bids_outcomes": "Résultats",
    "won_family": "Gagné par famille",
    "won_department": "Gagné par département",
    "interests": "Intérêts",
}
UNIT_NAMES = {Unit.COUNT: "nombre", Unit.PERCENT: "%", Unit.EUR: "€"}
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def report_filename(stats: CommitteeStatistics) -> str:
    """'veilleuse-pilotage-valenciennes-2025-01-01-2025-12-31.xlsx'."""
    period = stats.period
    return f"veilleuse-pilotage-{stats.territory.id}-{period.start}-{period.end}.xlsx"


def _preamble(stats: CommitteeStatistics, title: str, scope: str) -> list[str]:
    period = stats.period
    deps = ", ".join(stats.territory.departments) or "aucun"
    return [
        f"Veilleuse — {title}",
        f"Territoire : {stats.territory.name} (départements : {deps})",
        f"Période : {period.label} (du {format_date_fr(period.start)} au "
        f"{format_date_fr(period.end)} inclus)",
        f"Rapport du {format_datetime_fr(stats.generated_at)}",
        scope,
    ]


def _sheet_name(key: str, title: str) -> str:
    return _BAD_SHEET_CHARS.sub(" ", SHEET_NAMES.get(key, title))[:31]


def indicators_sheet(stats: CommitteeStatistics) -> Sheet:
    rows = [
        [i.label, UNIT_NAMES[i.unit], i.value, i.target, i.reached, i.target_note or ""]
        for i in stats.indicators
    ]
    return Sheet(
        name=_sheet_name("indicators", ""),
        preamble=_preamble(
            stats,
            "objectifs du plan local de l'ESS",
            "Réalisé sur la période, objectif applicable et part atteinte (réalisé / objectif).",
        ),
        header=["Indicateur", "Unité", "Réalisé", "Objectif", "Atteint (%)", "Objectif appliqué"],
        rows=rows,
        widths=[52, 9, 14, 14, 13, 60],
    )


def table_sheet(stats: CommitteeStatistics, table: StatTable) -> Sheet:
    rows: list[list[object]] = [[row.label, *row.values] for row in table.rows]
    if table.total is not None:
        rows.append(["Total", *table.total])
    return Sheet(
        name=_sheet_name(table.key, table.title),
        preamble=_preamble(stats, table.title, table.scope),
        header=[table.dimension, *table.columns],
        rows=rows,
        widths=[48, *(max(12, min(len(c) + 2, 26)) for c in table.columns)],
    )


def committee_report_xlsx(stats: CommitteeStatistics) -> bytes:
    """The workbook: the indicators' sheet, then one sheet per table."""
    sheets = [indicators_sheet(stats), *(table_sheet(stats, t) for t in stats.tables)]
    return xlsx_book_bytes(sheets)
