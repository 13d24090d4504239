"""`/recherche`: the search page (the officer's home), and its exports as CSV and XLSX.

The URL is the whole view: the form is sent by GET with the parameters of
`app.search_params`, so `/recherche?<qs>`, `/recherche/export.xlsx?<qs>` and
`/api/v1/notices?<qs>` take the same query string, and a saved search stores it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from veilleuse.app.exports import ExportFormat, export_search
from veilleuse.app.notices import LABELS
from veilleuse.app.saved_searches import FREQUENCY_LABELS, AlertFrequency
from veilleuse.app.search_page import SearchPageView, search_page
from veilleuse.app.search_params import SearchParamsError, parse_query
from veilleuse.core.accounts import Permission, User, can
from veilleuse.web.deps import Ctx, require
from veilleuse.web.highlight import hit_text
from veilleuse.web.templating import NavItem, render

router = APIRouter(include_in_schema=False)

NAVIGATION = [NavItem("Recherche", "/recherche", Permission.SEARCH, order=10)]

Searcher = Annotated[User, Depends(require(Permission.SEARCH))]
Exporter = Annotated[User, Depends(require(Permission.EXPORTS))]

#: alert frequencies offered when saving a search (value, French label)
FREQUENCIES = [(f.value, FREQUENCY_LABELS[f]) for f in AlertFrequency]


def _params(request: Request) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        params.setdefault(key, []).append(value)
    return params


def _bad_params(request: Request, exc: SearchParamsError) -> Response:
    return render(
        request,
        "search.html",
        400,
        view=None,
        problems=list(exc.problems.values()),
        typed=request.query_params.get("q", "")[:500],
    )


@router.get("/recherche")
def search_view(request: Request, ctx: Ctx, user: Searcher) -> Response:
    try:
        view: SearchPageView = search_page(ctx, _params(request))
    except SearchParamsError as exc:
        return _bad_params(request, exc)
    return render(
        request,
        "search.html",
        view=view,
        problems=[],
        labels=LABELS,
        texts={hit.notice.uid: hit_text(hit.notice, hit.highlights) for hit in view.hits},
        can_export=can(user, Permission.EXPORTS),
        can_save=can(user, Permission.SAVED_SEARCHES),
        frequencies=FREQUENCIES,
        export_rows=f"{ctx.settings.exports.max_rows:,}".replace(",", "\u202f"),
    )


def _export(request: Request, ctx: Ctx, fmt: ExportFormat) -> Response:
    try:
        query = parse_query(_params(request))
    except SearchParamsError as exc:
        return _bad_params(request, exc)
    export = export_search(ctx, query, fmt)
    return Response(
        export.content,
        media_type=export.media_type,
        headers={"Content-Disposition": f'attachment; filename="{export.filename}"'},
    )


@router.get("/recherche/export.csv")
def export_csv(request: Request, ctx: Ctx, user: Exporter) -> Response:
    return _export(request, ctx, ExportFormat.CSV)


@router.get("/recherche/export.xlsx")
def export_xlsx(request: Request, ctx: Ctx, user: Exporter) -> Response:
    return _export(request, ctx, ExportFormat.XLSX)
