"""`/api/v1/changes`: the notices whose stored content appeared or changed since an instant.

For a partner keeping a copy in sync: ask `updated_since=<instant>` (ISO 8601), follow
`next_cursor` until it is null, keep `high_water_mark`, and pass it as `updated_since` next
time. Oldest change first; a notice changed again while you walk comes again later, with its
new `updated_at`. `updated_since` is inclusive: the notices of the high-water instant itself
come once more on the next call (dedupe by `uid` + `updated_at`), which is what makes a batch
written at that very instant impossible to lose. The search page's filters narrow the feed
(e.g. `dep=59&kind=tender`); words, sort and page do not apply. Deleted notices do not appear.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from veilleuse.api.convert import notice_hit
from veilleuse.api.cursors import decode_cursor, encode_cursor, fingerprint
from veilleuse.api.deps import Ctx, CursorKey, query_lists, require
from veilleuse.api.params import CURSOR, openapi_parameters, refuse, take_one
from veilleuse.api.problems import BadParameters, ProblemRoute, problem_responses
from veilleuse.api.schemas import ChangesPage
from veilleuse.app.changes import ChangePosition, changes
from veilleuse.app.search import paris_today
from veilleuse.app.search_params import FILTER_PARAMS, parse_query, to_query_string
from veilleuse.core.accounts import Permission, User
from veilleuse.core.errors import ValidationError

router = APIRouter(prefix="/api/v1", tags=["avis"], route_class=ProblemRoute)

Reader = Annotated[User, Depends(require(Permission.SEARCH))]
KIND = "changes"
DEFAULT_PER_PAGE = 100
FILTERS = FILTER_PARAMS
NOT_HERE = {
    "q": "le flux des changements ne cherche pas de mots (utilisez /api/v1/notices).",
    "mode": "le flux des changements ne cherche pas de mots.",
    "sort": "le flux des changements va toujours du plus ancien changement au plus récent.",
    "page": "le flux des changements se pagine par cursor.",
}
_INVALID = {"cursor": "Paramètre cursor : curseur invalide ou altéré."}


def _position(data: dict[str, Any]) -> ChangePosition:
    try:
        at = datetime.fromisoformat(data["t"])
        uid, seen = data["u"], data["s"]
    except (KeyError, TypeError, ValueError):
        raise BadParameters(_INVALID) from None
    if at.tzinfo is None or not isinstance(uid, str) or not isinstance(seen, int) or seen < 1:
        raise BadParameters(_INVALID)
    return ChangePosition(at, uid, seen)


@router.get(
    "/changes",
    response_model=ChangesPage,
    summary="Flux des avis nouveaux ou modifiés depuis un instant",
    description=__doc__,
    responses=problem_responses(400, 401, 403),
    openapi_extra={
        "parameters": openapi_parameters(
            ["updated_since", *FILTERS, "per_page"], {"cursor": CURSOR}
        )
    },
)
def changes_feed(request: Request, ctx: Ctx, user: Reader, key: CursorKey) -> ChangesPage:
    params = query_lists(request)
    cursor = take_one(params, "cursor")
    refuse(params, NOT_HERE)
    per_page_given = any(v.strip() for v in params.get("per_page", []))
    query = parse_query(params, strict=True)
    since = query.filters.updated_since
    if cursor is None and since is None:
        raise BadParameters(
            {
                "updated_since": "Paramètre updated_since : obligatoire sans cursor (instant "
                "ISO 8601, par exemple 2026-01-31T08:00:00+01:00)."
            }
        )
    filters = query.resolved_filters(paris_today(ctx.now())).model_copy(
        update={"updated_since": None}
    )
    canonical = to_query_string(
        query.model_copy(
            update={"filters": query.filters.model_copy(update={"updated_since": None})}
        ),
        page=False,
    )
    print_ = fingerprint(KIND, canonical)
    after = _position(decode_cursor(key, KIND, print_, cursor)) if cursor else None
    limit = query.per_page if per_page_given else DEFAULT_PER_PAGE
    try:
        report = changes(ctx, filters, since=since, after=after, limit=limit)
    except ValidationError as exc:  # a batch too large to page past: narrow the filters
        raise BadParameters({"cursor": f"Paramètre cursor : {exc}."}) from None
    next_cursor = None
    if report.more and report.position is not None:
        p = report.position
        position = {"t": p.at.isoformat(timespec="microseconds"), "u": p.uid, "s": p.seen}
        next_cursor = encode_cursor(key, KIND, print_, position)
    return ChangesPage(
        items=[notice_hit(h) for h in report.hits],
        next_cursor=next_cursor,
        high_water_mark=report.high_water_mark,
    )
