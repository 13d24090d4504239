"""Search the notice index: query text + filters + mode → ranked hits, facet counts, highlights.

The CLI, the web page and the API all describe a search with `SearchQuery`, so a view has one
meaning whichever front end shows it; `app.search_params` turns it into the URL query string
and back (the page, the API, saved searches and exports share those parameters).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from pydantic import BaseModel, Field, model_validator

from veilleuse.app.context import Context
from veilleuse.config.settings import Settings
from veilleuse.core.normalise import PARIS
from veilleuse.core.search_mode import SearchMode
from veilleuse.search.store import (
    MAX_WINDOW,
    Filters,
    Hit,
    RelevanceFloor,
    Sort,
    effective_sort,
)

DEFAULT_PER_PAGE = 20
_WORD = re.compile(r"[^\W_]", re.UNICODE)


class SearchQuery(BaseModel):
    """What a person asks: words, filters, how to rank and sort, which page.

    `published_days` stays relative ("published in the last N days") so that a saved search
    means the same thing every day; `resolved_filters` turns it into a date for one run.
    `sort` None means relevance with words and the default listing order (deadline soonest,
    then newest) without. `limit`/`offset` are the page (`page`/`per_page` read them).
    """

    text: str = ""
    filters: Filters = Field(default_factory=Filters)
    mode: SearchMode = SearchMode.HYBRID
    sort: Sort | None = None
    published_days: int | None = Field(None, ge=1, le=3660)
    limit: int = Field(DEFAULT_PER_PAGE, ge=1, le=MAX_WINDOW)
    offset: int = Field(0, ge=0)
    with_facets: bool = False
    highlights: bool = True
    #: text mode only: every word must be found (no any-word fallback); not part of the URL
    all_words: bool = False

    @model_validator(mode="after")
    def _within_window(self) -> SearchQuery:
        if self.offset + self.limit > MAX_WINDOW:
            raise ValueError(f"offset + limit must not exceed {MAX_WINDOW}")
        return self

    @classmethod
    def paged(
        cls, page: int = 1, per_page: int = DEFAULT_PER_PAGE, **fields: object
    ) -> SearchQuery:
        """A query for page `page` (from 1) of `per_page` results."""
        return cls.model_validate({**fields, "limit": per_page, "offset": (page - 1) * per_page})

    @property
    def per_page(self) -> int:
        return self.limit

    @property
    def page(self) -> int:
        """The page the offset falls in (from 1)."""
        return self.offset // self.limit + 1

    def has_words(self) -> bool:
        return bool(_WORD.search(self.text))

    def resolved_filters(self, today: date) -> Filters:
        """The filters of one run: `published_days` becomes a publication day (today − N days,
        Paris calendar), kept when it is later than an explicit `published_from`."""
        if self.published_days is None:
            return self.filters
        since = today - timedelta(days=self.published_days)
        current = self.filters.published_from
        if current is not None and current >= since:
            return self.filters
        return self.filters.model_copy(update={"published_from": since})


@dataclass
class SearchReport:
    """One page of results. `total` is exact for text search and listings; for vector search
    it counts the notices with a vector, for hybrid the larger of the text total and the fused
    candidates. Facets count what the words + filters find (filters only in vector mode)."""

    query: SearchQuery
    hits: list[Hit]
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    sort: Sort = field(default_factory=Sort)
    filters: Filters = field(default_factory=Filters)  # as run (published_days resolved)

    @property
    def page(self) -> int:
        return self.query.page

    @property
    def per_page(self) -> int:
        return self.query.per_page

    @property
    def pages(self) -> int:
        """Pages of results available (at least 1), within the deepest window served."""
        return max(1, math.ceil(min(self.total, MAX_WINDOW) / self.query.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paris_today(now: datetime) -> date:
    return now.astimezone(PARIS).date()


def relevance_floor(settings: Settings) -> RelevanceFloor:
    """The floor the settings give (see `search.store.fuse_with_floor`)."""
    return RelevanceFloor(settings.search.semantic_floor, settings.search.semantic_alone)


def search(ctx: Context, query: SearchQuery, *, today: date | None = None) -> SearchReport:
    """Run a search on the configured store, paged, sorted and with facets when asked.

    Without words every mode lists the notices the filters keep (no model is loaded).
    `today` (default: now, Paris calendar) resolves `published_days`.
    """
    store = ctx.store
    filters = query.resolved_filters(today or paris_today(ctx.now()))
    words = query.text.strip() if query.has_words() else ""
    limit, offset, sort = query.limit, query.offset, query.sort
    if query.mode is SearchMode.TEXT or not words:
        result = store.search_text(
            words,
            filters,
            limit=limit,
            offset=offset,
            sort=sort,
            any_word_fallback=not query.all_words,
        )
    else:
        vector = ctx.embedder.encode([words])[0]
        floor = relevance_floor(ctx.settings)
        if query.mode is SearchMode.VECTOR:
            result = store.search_vector(
                vector, filters, limit=limit, offset=offset, sort=sort, floor=floor
            )
        else:
            result = store.search_hybrid(
                words, vector, filters, limit=limit, offset=offset, sort=sort, floor=floor
            )
    hits = result.hits if query.highlights else [replace(h, highlights=[]) for h in result.hits]
    facets = result.facets
    if query.with_facets and not facets:
        text = words if query.mode is not SearchMode.VECTOR else ""
        facets = store.facets(filters, text or None)
    applied = effective_sort(sort, bool(words))
    return SearchReport(query, hits, result.total, facets, applied, filters)
