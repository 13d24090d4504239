"""The steering committee's statistics, per served territory and period (issue 11).

`committee_statistics` computes every figure once, with the function of `FIGURES` that owns
it; the page, its charts, the XLSX report and the JSON API all call it (a chart calls
`committee_figure` for its one figure), so they cannot disagree. The headline figures of the
plan (`Indicator`) are cells of those tables (`INDICATOR_CELLS`), compared with the plan's
targets (`app.plan_targets`).

Who sees what: the permission `reports.view` (committee, staff, officer, admin); a territory
outside the user's (`core.accounts.visible_territories`) is not found, like an unknown one.
"""

from __future__ import annotations

from collections.abc import Callable

from veilleuse.app.context import Context
from veilleuse.app.plan_targets import METRICS, AppliedTarget, reached, targets_for
from veilleuse.app.statistics_amounts import interests_by_family, won_by_department, won_by_family
from veilleuse.app.statistics_bids import bids_by_stage, bids_funnel, bids_outcomes
from veilleuse.app.statistics_delivery import delivered_by_cpv_division, delivered_by_family
from veilleuse.app.statistics_inputs import StatisticsInputs
from veilleuse.app.statistics_model import (
    CommitteeStatistics,
    Indicator,
    PeriodRef,
    StatTable,
    TerritoryRef,
)
from veilleuse.app.statistics_notices import notices_collected, social_considerations
from veilleuse.app.statistics_period import Period
from veilleuse.core.accounts import Permission, PlanTerritory, User, can, visible_territories
from veilleuse.core.errors import NotFoundError, PermissionDeniedError
from veilleuse.records import territories as territory_records

Figure = Callable[[StatisticsInputs], StatTable]

#: every table, in the order of the page and the report; the key is the table's `key`
FIGURES: dict[str, Figure] = {
    "notices": notices_collected,
    "social": social_considerations,
    "delivery_family": delivered_by_family,
    "delivery_cpv": delivered_by_cpv_division,
    "interests": interests_by_family,
    "bids_stage": bids_by_stage,
    "bids_funnel": bids_funnel,
    "bids_outcomes": bids_outcomes,
    "won_family": won_by_family,
    "won_department": won_by_department,
}

TOTAL = "total"
#: metric → (table, row key or TOTAL, column) holding its value
INDICATOR_CELLS: dict[str, tuple[str, str, int]] = {
    "notices_collected": ("notices", TOTAL, 5),
    "opportunities_delivered": ("delivery_family", TOTAL, 0),
    "actors_reached": ("delivery_family", TOTAL, 1),
    "actors_reached_share": ("delivery_family", TOTAL, 3),
    "reserved_share": ("social", "reserved", 1),
    "social_clause_share": ("social", "social_clause", 1),
    "social_consideration_share": ("social", "social_consideration", 1),
    "interests": ("interests", TOTAL, 0),
    "bids_formed": ("bids_stage", "team_formed", 2),
    "bids_submitted": ("bids_stage", "submitted", 2),
    "bids_won": ("bids_outcomes", TOTAL, 0),
    "win_rate": ("bids_outcomes", TOTAL, 3),
    "amount_won": ("won_family", TOTAL, 0),
    "funding_submitted": ("bids_stage", "submitted", 1),
    "funding_won": ("bids_outcomes", "funding", 0),
}


def statistics_territories(ctx: Context, user: User) -> list[PlanTerritory]:
    """The served territories whose statistics `user` may read, by name."""
    _check(user)
    visible = visible_territories(user)
    return [
        t
        for t in territory_records.list_territories(ctx.records)
        if visible is None or t.id in visible
    ]


def default_territory(ctx: Context, user: User) -> str | None:
    """The user's own territory, else the first one they see (admin), else None."""
    if user.territory_id:
        return user.territory_id
    choices = statistics_territories(ctx, user)
    return choices[0].id if choices else None


def _check(user: User) -> None:
    if not can(user, Permission.REPORTS_VIEW):
        raise PermissionDeniedError(
            f"Votre rôle ({user.role.label}) ne permet pas de consulter les statistiques."
        )


def _territory(ctx: Context, user: User, territory_id: str) -> PlanTerritory:
    _check(user)
    visible = visible_territories(user)
    found = territory_records.get_territory(ctx.records, territory_id)
    if found is None or (visible is not None and territory_id not in visible):
        raise NotFoundError(f"territoire inconnu : {territory_id!r}")
    return found


def committee_figure(
    ctx: Context, user: User, territory_id: str, period: Period, key: str
) -> StatTable:
    """One table (a chart draws one), computed by its own function only."""
    figure = FIGURES.get(key)
    if figure is None:
        raise NotFoundError(f"statistique inconnue : {key!r}")
    return figure(StatisticsInputs(ctx, _territory(ctx, user, territory_id), period))


def committee_statistics(
    ctx: Context, user: User, territory_id: str, period: Period
) -> CommitteeStatistics:
    """Every figure of `territory_id` over `period`, with the plan's targets."""
    territory = _territory(ctx, user, territory_id)
    inputs = StatisticsInputs(ctx, territory, period)
    tables = [figure(inputs) for figure in FIGURES.values()]
    return CommitteeStatistics(
        territory=TerritoryRef(
            id=territory.id, name=territory.name, departments=list(territory.departments)
        ),
        period=PeriodRef(
            kind=period.kind.value, start=period.start, end=period.end, label=period.label
        ),
        generated_at=ctx.now(),
        indicators=indicators(tables, targets_for(ctx, territory.id, period)),
        tables=tables,
    )


def _cell(tables: dict[str, StatTable], where: tuple[str, str, int]) -> float | int | None:
    table_key, row_key, column = where
    table = tables.get(table_key)
    if table is None:
        return None
    if row_key == TOTAL:
        return table.total[column] if table.total else None
    row = next((r for r in table.rows if r.key == row_key), None)
    return row.values[column] if row else None


def indicators(tables: list[StatTable], targets: dict[str, AppliedTarget]) -> list[Indicator]:
    """The plan's headline figures, each read from its table cell, against its target."""
    by_key = {t.key: t for t in tables}
    out = []
    for metric in METRICS.values():
        where = INDICATOR_CELLS.get(metric.key)
        if where is None or where[0] not in by_key:
            continue
        value = _cell(by_key, where)
        target = targets.get(metric.key)
        out.append(
            Indicator(
                metric=metric.key,
                label=metric.label,
                unit=metric.unit,
                value=value,
                target=target.value if target else None,
                reached=reached(value, target.value if target else None),
                target_note=target.note if target else None,
            )
        )
    return out
