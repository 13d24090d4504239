"""`/api/v1/notices`: search (cursor-paged), one notice, facet counts.

The search takes exactly the search page's parameters (`app.search_params`), with the same
defaults — `mode=hybrid` included, so one query string gives one result on the page and in
the API (without words no model is loaded; with words the embedder is, as on the page; pass
`mode=text` for word matching alone). Paging is by `cursor`: the offset and a fingerprint of
the query, signed; `page` only says where a walk starts.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from veilleuse.api.convert import notice_detail_out, notice_hit
from veilleuse.api.cursors import decode_cursor, encode_cursor, fingerprint
from veilleuse.api.deps import Ctx, CursorKey, query_lists, require
from veilleuse.api.params import CURSOR, FACETS, openapi_parameters, take_bool, take_one
from veilleuse.api.problems import BadParameters, ProblemRoute, problem_responses
from veilleuse.api.schemas import FacetsOut, NoticeDetailOut, NoticeList
from veilleuse.app.notice_page import notice_detail
from veilleuse.app.search import MAX_WINDOW, SearchQuery, search
from veilleuse.app.search_params import PARAMS, parse_query, to_query_string
from veilleuse.core.accounts import Permission, User

router = APIRouter(prefix="/api/v1", tags=["avis"], route_class=ProblemRoute)

Reader = Annotated[User, Depends(require(Permission.SEARCH))]
KIND = "notices"


def read_search(params: dict[str, list[str]]) -> SearchQuery:
    """The page's parameters, parsed by the page's codec (strict: unknown ones are refused)."""
    return parse_query(params, strict=True)


def _offset(query: SearchQuery, cursor: str | None, key: bytes, canonical: str) -> int:
    if cursor is None:
        return query.offset
    position = decode_cursor(key, KIND, fingerprint(KIND, canonical), cursor)
    offset = position.get("o")
    if not isinstance(offset, int) or not 0 <= offset < MAX_WINDOW:
        raise BadParameters({"cursor": "Paramètre cursor : curseur invalide ou altéré."})
    return offset


@router.get(
    "/notices",
    response_model=NoticeList,
    summary="Chercher des avis (mêmes paramètres que la page /recherche)",
    description=__doc__,
    responses=problem_responses(400, 401, 403),
    openapi_extra={"parameters": openapi_parameters(PARAMS, {"cursor": CURSOR, "facets": FACETS})},
)
def list_notices(request: Request, ctx: Ctx, user: Reader, key: CursorKey) -> NoticeList:
    params = query_lists(request)
    cursor = take_one(params, "cursor")
    with_facets = take_bool(params, "facets")
    query = read_search(params)
    canonical = to_query_string(query, page=False)
    offset = _offset(query, cursor, key, canonical)
    limit = min(query.limit, MAX_WINDOW - offset)
    query = query.model_copy(update={"offset": offset, "limit": limit, "with_facets": with_facets})
    report = search(ctx, query)
    end = offset + len(report.hits)
    next_cursor = None
    if report.hits and len(report.hits) == limit and end < min(report.total, MAX_WINDOW):
        next_cursor = encode_cursor(key, KIND, fingerprint(KIND, canonical), {"o": end})
    return NoticeList(
        items=[notice_hit(h, query.text if query.has_words() else "") for h in report.hits],
        total=report.total,
        next_cursor=next_cursor,
        query=canonical,
        facets=report.facets if with_facets else None,
    )


@router.get(
    "/facets",
    response_model=FacetsOut,
    summary="Compter les avis par facette pour une recherche",
    description="Les mêmes paramètres que `/api/v1/notices` (le tri et la page sont sans "
    "effet) ; les facettes comptent ce que trouvent les mots et les filtres.",
    responses=problem_responses(400, 401, 403),
    openapi_extra={"parameters": openapi_parameters(PARAMS)},
)
def facets(request: Request, ctx: Ctx, user: Reader) -> FacetsOut:
    query = read_search(query_lists(request))
    canonical = to_query_string(query, page=False)
    report = search(ctx, query.model_copy(update={"offset": 0, "limit": 1, "with_facets": True}))
    return FacetsOut(total=report.total, facets=report.facets, query=canonical)


@router.get(
    "/notices/{uid:path}",
    response_model=NoticeDetailOut,
    summary="Lire un avis",
    description="Tous les champs de l'avis (sans la charge brute de la source), les libellés "
    "CPV, les doublons d'autres sources et, si votre rôle le permet, les structures de vos "
    "territoires qui lui correspondent, avec leurs raisons.",
    responses=problem_responses(401, 403, 404, 422),
)
def get_notice(ctx: Ctx, user: Reader, uid: str) -> NoticeDetailOut:
    return notice_detail_out(notice_detail(ctx, uid, user))
