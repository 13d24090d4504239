"""The changes feed: notices whose stored content appeared or changed since an instant.

Oldest change first (the store's `updated` sort: `updated_at`, then uid), paged by position
rather than by offset, so that a notice changing while a client walks the feed neither hides
another one nor comes back before its turn: a `ChangePosition` is the last (instant, uid)
returned plus how many notices of that instant were returned up to it.

A batch of notices written together shares one `updated_at`, so the instant alone cannot say
where a page ended; the uid breaks the tie. The stores filter `updated_at >= since` (inclusive)
but have no "uid after" filter: the next page is read from the position's instant with an
offset of `seen - 1`, and the notice found there must be the position's own (the anchor). When
it is not (a notice of that instant changed meanwhile and moved on), the page is read again
from the start of the instant and filtered by (instant, uid) — correct, only slower.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from veilleuse.app.context import Context
from veilleuse.core.errors import ValidationError
from veilleuse.search.store import MAX_WINDOW, Filters, Hit, Sort, SortKey

UPDATED_FIRST = Sort(key=SortKey.UPDATED)


@dataclass(frozen=True)
class ChangePosition:
    """Where a page of the feed ended: the last notice returned and its change instant."""

    at: datetime
    uid: str
    #: notices of instant `at` returned so far, up to and including `uid`
    seen: int


@dataclass
class ChangesReport:
    hits: list[Hit]
    #: where to resume; None when nothing was returned (resume from the same request)
    position: ChangePosition | None
    #: more changes were already stored past this page
    more: bool
    #: the latest `updated_at` returned (else the instant asked for): pass it as `since` later
    high_water_mark: datetime | None


def _key(hit: Hit) -> tuple[datetime, str]:
    assert hit.updated_at is not None
    return (hit.updated_at, hit.notice.uid)


def changes(
    ctx: Context,
    filters: Filters | None = None,
    since: datetime | None = None,
    after: ChangePosition | None = None,
    limit: int = 100,
) -> ChangesReport:
    """One page of changed notices passing `filters`, from `since` (inclusive) or after a
    position returned by a previous page. Raises ValidationError when a single instant holds
    more notices than the deepest window a store serves (cannot be paged past)."""
    store = ctx.store
    base = filters or Filters()
    if after is None:
        scoped = base.model_copy(update={"updated_since": since})
        found = store.search_text("", scoped, limit=limit + 1, offset=0, sort=UPDATED_FIRST)
        hits, seen_before = found.hits, 0
    else:
        scoped = base.model_copy(update={"updated_since": after.at})
        hits, seen_before = _after(ctx, scoped, after, limit)
    hits = [h for h in hits if h.updated_at is not None]
    more = len(hits) > limit
    hits = hits[:limit]
    if not hits:
        mark = after.at if after is not None else since
        return ChangesReport([], None, False, mark)
    last_at, last_uid = _key(hits[-1])
    same = sum(1 for h in hits if h.updated_at == last_at)
    seen = same + (seen_before if after is not None and after.at == last_at else 0)
    return ChangesReport(hits, ChangePosition(last_at, last_uid, seen), more, last_at)


def _after(
    ctx: Context, scoped: Filters, after: ChangePosition, limit: int
) -> tuple[list[Hit], int]:
    """The notices after `after` (up to limit + 1) and how many of its instant precede them."""
    if after.seen < 1 or after.seen + limit + 1 > MAX_WINDOW:
        raise ValidationError(
            f"plus de {MAX_WINDOW - limit - 1} avis modifiés au même instant : "
            "reprenez avec un filtre plus étroit"
        )
    store = ctx.store
    window = store.search_text(
        "", scoped, limit=limit + 2, offset=after.seen - 1, sort=UPDATED_FIRST
    ).hits
    if window and window[0].notice.uid == after.uid and window[0].updated_at == after.at:
        return window[1:], after.seen
    # the notices of that instant moved: read it from its start and skip by key
    depth = after.seen + limit + 1
    everything = store.search_text("", scoped, limit=depth, offset=0, sort=UPDATED_FIRST).hits
    position = (after.at, after.uid)
    dated = [h for h in everything if h.updated_at is not None]
    seen = sum(1 for h in dated if h.updated_at == after.at and h.notice.uid <= after.uid)
    return [h for h in dated if _key(h) > position], seen
