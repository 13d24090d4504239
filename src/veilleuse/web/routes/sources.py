"""`/sources`: the health of every source — freshness, last runs, rejected records, duplicates."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from veilleuse.app.sources import RUN_STATUS_LABELS, format_age_fr, sources_overview
from veilleuse.core.accounts import Permission, User
from veilleuse.web.deps import Ctx, require
from veilleuse.web.templating import NavItem, render

router = APIRouter(include_in_schema=False)
NAVIGATION = [NavItem("Sources", "/sources", Permission.SOURCES_VIEW, order=70)]

Viewer = Annotated[User, Depends(require(Permission.SOURCES_VIEW))]
#: a source whose last complete run is older than this is shown as stale
STALE_HOURS = 36


@router.get("/sources")
def sources_page(request: Request, ctx: Ctx, user: Viewer) -> Response:
    overview = sources_overview(ctx, runs_per_source=5)
    return render(
        request,
        "sources.html",
        overview=overview,
        statuses=RUN_STATUS_LABELS,
        age=format_age_fr,
        stale_hours=STALE_HOURS,
    )
