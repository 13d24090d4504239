"""`/api/v1/statistics`: the steering committee's statistics of a territory and period.

The same figures as the page `/pilotage` and its XLSX report, computed by the same use case
(`app.statistics.committee_statistics`): the plan's indicators against their targets, then
every table (rows with a stable key, a French label and one value per column, each column
with its unit).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from veilleuse.api.deps import Ctx, require
from veilleuse.api.problems import BadParameters, ProblemRoute, problem_responses
from veilleuse.app.search import paris_today
from veilleuse.app.statistics import committee_statistics, default_territory
from veilleuse.app.statistics_model import CommitteeStatistics
from veilleuse.app.statistics_period import PeriodError, parse_period
from veilleuse.core.accounts import Permission, User
from veilleuse.core.errors import NotFoundError

router = APIRouter(prefix="/api/v1", tags=["pilotage"], route_class=ProblemRoute)

Reader = Annotated[User, Depends(require(Permission.REPORTS_VIEW))]


@router.get(
    "/statistics",
    response_model=CommitteeStatistics,
    summary="Les statistiques du comité de pilotage d'un territoire, sur une période",
    description=(
        "Les chiffres de la page /pilotage et de son rapport XLSX : indicateurs du plan face "
        "à leurs objectifs, puis chaque tableau (avis collectés, marchés réservés et clauses "
        "sociales, opportunités envoyées, structures touchées…). Période : `year` (par défaut "
        "l'année en cours), avec `semester` (S1, S2), ou bien `from` et `to` (jours inclus, "
        "heure de Paris). Un territoire inconnu ou hors de ceux du compte est refusé (400)."
    ),
    responses=problem_responses(400, 401, 403, 422),
)
def statistics(
    ctx: Ctx,
    user: Reader,
    territory: Annotated[
        str | None, Query(description="Territoire servi (par défaut celui du compte)")
    ] = None,
    year: Annotated[str | None, Query(description="Année (2025)")] = None,
    semester: Annotated[str | None, Query(description="Semestre de l'année : S1 ou S2")] = None,
    first: Annotated[
        str | None, Query(alias="from", description="Premier jour d'une période (AAAA-MM-JJ)")
    ] = None,
    last: Annotated[
        str | None, Query(alias="to", description="Dernier jour d'une période (AAAA-MM-JJ)")
    ] = None,
) -> CommitteeStatistics:
    try:
        period = parse_period(year, semester, first, last, today=paris_today(ctx.now()))
    except PeriodError as exc:
        raise BadParameters(
            {name: f"Paramètre {name} : {message}" for name, message in exc.problems.items()}
        ) from exc
    chosen = (territory or "").strip() or default_territory(ctx, user)
    refused = f"Paramètre territory : territoire inconnu ou hors des vôtres ({chosen!r})."
    if not chosen:
        raise BadParameters({"territory": "Paramètre territory : aucun territoire à présenter."})
    try:
        return committee_statistics(ctx, user, chosen, period)
    except NotFoundError as exc:
        raise BadParameters({"territory": refused}) from exc
