"""`/api/v1/saved-searches`: the caller's own saved searches (list, save, delete).

A saved search is the search page's query string (the parameters of `/api/v1/notices`) under a
name, with an alert frequency; the page /recherche, its alerts and this API share it. Another
account's search answers 404, like an unknown one.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse

from veilleuse.api.deps import Ctx, require
from veilleuse.api.problems import ProblemRoute, invalid_body, problem_responses
from veilleuse.api.schemas import SavedSearchIn, SavedSearchList, SavedSearchOut
from veilleuse.app.saved_searches import SavedSearch, delete_search, list_searches, save_search
from veilleuse.app.search import SearchQuery
from veilleuse.app.search_params import SearchParamsError, parse_query, to_query_string
from veilleuse.core.accounts import Permission, User

router = APIRouter(prefix="/api/v1", tags=["recherches enregistrées"], route_class=ProblemRoute)

Saver = Annotated[User, Depends(require(Permission.SAVED_SEARCHES))]
PATH = "/api/v1/saved-searches"


def saved_out(search: SavedSearch) -> SavedSearchOut:
    qs = search.query_string
    return SavedSearchOut(
        id=search.id,
        name=search.name,
        query=qs,
        frequency=search.frequency.value,
        frequency_label=search.frequency_label,
        created_at=search.created_at,
        sent_up_to=search.sent_up_to,
        criteria=search.criteria,
        search_url=search.search_url,
        api_url="/api/v1/notices" + (f"?{qs}" if qs else ""),
        problem=search.problem,
    )


@router.get(
    "/saved-searches",
    response_model=SavedSearchList,
    summary="Vos recherches enregistrées",
    responses=problem_responses(400, 401, 403),
)
def saved_searches(ctx: Ctx, user: Saver) -> SavedSearchList:
    return SavedSearchList(items=[saved_out(s) for s in list_searches(ctx, user.id)])


def _query(body: SavedSearchIn) -> SearchQuery | dict[str, str]:
    """The search the body describes, or the problems with it by body field."""
    if (body.query is None) == (body.params is None):
        both = "donnez soit query (chaîne de requête), soit params (objet), pas les deux."
        return {"query": f"Recherche : {both}"}
    if body.query is not None:
        field, params = "query", parse_qs(body.query.lstrip("?"), keep_blank_values=True)
    else:
        field = "params"
        params = {k: [v] if isinstance(v, str) else list(v) for k, v in (body.params or {}).items()}
    try:
        return parse_query(params, strict=True)
    except SearchParamsError as exc:
        return {f"{field}.{name}": message for name, message in exc.problems.items()}


@router.post(
    "/saved-searches",
    response_model=SavedSearchOut,
    status_code=201,
    summary="Enregistrer une recherche",
    description="Le nom, la recherche (`query` : la chaîne de requête de /api/v1/notices, ou "
    "`params` : ses paramètres en objet) et la fréquence des alertes (none, daily, weekly). "
    "La recherche est gardée sans pagination, sous sa forme canonique.",
    responses={
        **problem_responses(400, 401, 403, 422),
        201: {
            "description": "Enregistrée",
            "headers": {"Location": {"schema": {"type": "string"}}},
        },
    },
)
def create_saved_search(
    ctx: Ctx, user: Saver, body: SavedSearchIn, response: Response
) -> SavedSearchOut | JSONResponse:
    query = _query(body)
    if isinstance(query, dict):
        return invalid_body(query)
    saved = save_search(
        ctx,
        user_id=user.id,
        name=body.name,
        query=to_query_string(query, page=False),
        frequency=body.frequency,
        territory_id=user.territory_id,
    )
    response.headers["Location"] = f"{PATH}/{saved.id}"
    return saved_out(saved)


@router.delete(
    "/saved-searches/{search_id}",
    status_code=204,
    response_class=Response,
    summary="Supprimer une de vos recherches enregistrées",
    responses=problem_responses(400, 401, 403, 404, 422),
)
def remove_saved_search(ctx: Ctx, user: Saver, search_id: int) -> Response:
    delete_search(ctx, search_id, user.id)
    return Response(status_code=204)
