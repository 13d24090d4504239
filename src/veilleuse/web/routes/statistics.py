"""`/pilotage`: the steering committee's statistics of a territory and period, with charts.

- `/pilotage?territoire=…&annee=2025[&semestre=S1]` or `…&du=2025-01-01&au=2025-03-31`: the
  page (a GET form, tables, one chart beside each table, actual against the plan's targets).
- `/pilotage/imprimer?…`: the same, laid out for printing, without navigation.
- `/pilotage/rapport.xlsx?…`: the committee's report, one sheet per table.
- `/pilotage/graphiques/<table>.svg?…`: one chart, an SVG document of its own (so matplotlib's
  `style` attributes are governed by that response's policy, never by the page's).

Every figure comes from `app.statistics.committee_statistics` (or `committee_figure` for one
chart): the page, its charts, the report and the API show the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from veilleuse.app.plan_targets import METRICS, PlanTarget, delete_target, list_targets, set_target
from veilleuse.app.search import paris_today
from veilleuse.app.statistics import (
    FIGURES,
    committee_figure,
    committee_statistics,
    default_territory,
    statistics_territories,
)
from veilleuse.app.statistics_model import CommitteeStatistics, Unit
from veilleuse.app.statistics_period import Period, PeriodError, PeriodKind, parse_period
from veilleuse.app.statistics_report import committee_report_xlsx, report_filename
from veilleuse.app.wording import format_amount_fr
from veilleuse.core.accounts import Permission, PlanTerritory, User, can
from veilleuse.core.errors import NotFoundError, ValidationError
from veilleuse.web.charts import indicators_chart, table_chart
from veilleuse.web.deps import Ctx, require
from veilleuse.web.templating import NavItem, flash, render

router = APIRouter(include_in_schema=False)
NAVIGATION = [NavItem("Pilotage", "/pilotage", Permission.REPORTS_VIEW, order=60)]

Reader = Annotated[User, Depends(require(Permission.REPORTS_VIEW))]
Editor = Annotated[User, Depends(require(Permission.TARGETS_EDIT))]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: an SVG chart opened on its own: its inline styles may apply, nothing else may load or run
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
INDICATORS_CHART = "objectifs"


@dataclass(frozen=True)
class Choice:
    """What the form asked: the territory, the period parameters as typed, the problems."""

    territory: str | None
    year: str
    semester: str
    first: str
    last: str
    period: Period | None
    problems: dict[str, str]


def _choice(request: Request, ctx: Ctx, user: User) -> Choice:
    params = request.query_params
    year, semester = params.get("annee", ""), params.get("semestre", "")
    first, last = params.get("du", ""), params.get("au", "")
    territory = (params.get("territoire") or "").strip() or default_territory(ctx, user)
    try:
        period: Period | None = parse_period(
            year, semester, first, last, today=paris_today(ctx.now())
        )
        problems: dict[str, str] = {}
    except PeriodError as exc:
        period, problems = None, exc.problems
    if not year and period is not None and period.kind is not PeriodKind.RANGE:
        year = str(period.start.year)
    if period is not None and period.kind is PeriodKind.RANGE:
        year = semester = ""  # the range decides: the year fields would only mislead
    return Choice(territory, year, semester.upper(), first, last, period, problems)


def _query(territory: str, period: Period) -> str:
    return urlencode({"territoire": territory, **period.query()})


def number_fr(value: float | int | None, unit: Unit | str = Unit.COUNT) -> str:
    """A figure as the page shows it: '1 234', '40,0 %', '12 500 €', '—' when unknown."""
    if value is None:
        return "—"
    unit = Unit(unit)
    if unit is Unit.EUR:
        return format_amount_fr(float(value))
    if unit is Unit.PERCENT:
        return f"{value:.1f}".replace(".", ",") + "\u00a0%"
    return f"{round(value):,}".replace(",", "\u00a0")  # grouped as format_amount_fr does


def _page(request: Request, ctx: Ctx, user: User, template: str, status: int = 200) -> Response:
    choice = _choice(request, ctx, user)
    territories: list[PlanTerritory] = statistics_territories(ctx, user)
    stats: CommitteeStatistics | None = None
    query = ""
    targets: list[PlanTarget] = []
    if choice.territory and choice.period is not None:
        stats = committee_statistics(ctx, user, choice.territory, choice.period)
        query = _query(choice.territory, choice.period)
        if can(user, Permission.TARGETS_EDIT):
            targets = list_targets(ctx, user, choice.territory)
    return render(
        request,
        template,
        status_code=400 if choice.problems else status,
        stats=stats,
        choice=choice,
        territories=territories,
        query=query,
        number=number_fr,
        indicators_chart=INDICATORS_CHART,
        targets=targets,
        metrics=METRICS,
    )


@router.get("/pilotage")
def statistics_page(request: Request, ctx: Ctx, user: Reader) -> Response:
    return _page(request, ctx, user, "statistics/page.html")


@router.get("/pilotage/imprimer")
def statistics_print(request: Request, ctx: Ctx, user: Reader) -> Response:
    return _page(request, ctx, user, "statistics/print.html")


def _required(request: Request, ctx: Ctx, user: User) -> tuple[str, Period]:
    choice = _choice(request, ctx, user)
    if choice.period is None:
        raise PeriodError(choice.problems)
    if not choice.territory:
        raise NotFoundError("aucun territoire à présenter")
    return choice.territory, choice.period


@router.get("/pilotage/rapport.xlsx")
def statistics_report(request: Request, ctx: Ctx, user: Reader) -> Response:
    territory, period = _required(request, ctx, user)
    stats = committee_statistics(ctx, user, territory, period)
    return Response(
        committee_report_xlsx(stats),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{report_filename(stats)}"'},
    )


@router.get("/pilotage/graphiques/{key}.svg")
def statistics_chart(request: Request, ctx: Ctx, user: Reader, key: str) -> Response:
    territory, period = _required(request, ctx, user)
    if key == INDICATORS_CHART:
        stats = committee_statistics(ctx, user, territory, period)
        svg = indicators_chart(stats.indicators, "Part des objectifs du plan atteinte")
    else:
        table = committee_figure(ctx, user, territory, period, key) if key in FIGURES else None
        if table is None or table.chart is None:
            raise NotFoundError(f"graphique inconnu : {key!r}")
        svg = table_chart(table)
    return Response(
        svg,
        media_type="image/svg+xml",
        headers={"Content-Security-Policy": SVG_CSP, "Cache-Control": "private, no-store"},
    )


# --------------------------------------------------------------------------- targets (admin)


def _back(query: str) -> RedirectResponse:
    """Back to the page the form was on (its query string only: always this site's page)."""
    kept = query if query.isprintable() and "#" not in query else ""
    return RedirectResponse("/pilotage" + (f"?{kept}" if kept else "") + "#objectifs", 303)


@router.post("/pilotage/objectifs")
def save_target(
    request: Request,
    ctx: Ctx,
    user: Editor,
    territoire: Annotated[str, Form(max_length=64)] = "",
    indicateur: Annotated[str, Form(max_length=64)] = "",
    valeur: Annotated[str, Form(max_length=40)] = "",
    annee: Annotated[str, Form(max_length=10)] = "",
    du: Annotated[str, Form(max_length=10)] = "",
    au: Annotated[str, Form(max_length=10)] = "",
    retour: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    try:
        period = parse_period(annee, None, du, au, today=paris_today(ctx.now()))
        target, created = set_target(ctx, user, territoire, period, indicateur, valeur)
    except ValidationError as exc:
        flash(request, f"L'objectif n'a pas été enregistré : {exc}", "error")
        return _back(retour)
    verb = "enregistré" if created else "remplacé"
    flash(
        request,
        f"Objectif {verb} : {target.metric_label}, {target.period.label}, "
        f"{number_fr(target.value, METRICS[target.metric].unit)}.",
        "success",
    )
    return _back(retour)


@router.post("/pilotage/objectifs/{target_id}/supprimer")
def remove_target(
    request: Request,
    ctx: Ctx,
    user: Editor,
    target_id: int,
    retour: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    target = delete_target(ctx, user, target_id)
    flash(request, f"Objectif supprimé : {target.metric_label}, {target.period.label}.", "success")
    return _back(retour)
