"""Search the notice index: query text + filters + mode → ranked hits, facet counts, highlights.

The CLI, the web page and the API all describe a search with `SearchQuery`, so a view has one
meaning whichever front end shows it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import BaseModel, Field

from veilleuse.app.context import Context
from veilleuse.search.store import Filters, Hit


class SearchMode(StrEnum):
    TEXT = "text"
    VECTOR = "vector"
    HYBRID = "hybrid"


class SearchQuery(BaseModel):
    """What a person asks: words, filters, how to rank, which page."""

    text: str = ""
    filters: Filters = Field(default_factory=Filters)
    mode: SearchMode = SearchMode.HYBRID
    limit: int = Field(10, ge=1, le=1000)
    offset: int = Field(0, ge=0)
    with_facets: bool = False


@dataclass
class SearchReport:
    query: SearchQuery
    hits: list[Hit]
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


def search(ctx: Context, query: SearchQuery) -> SearchReport:
    """Run a search on the configured store; without words the mode falls back to text order."""
    store = ctx.store
    words = query.text.strip()
    if query.mode is SearchMode.TEXT or not words:
        result = store.search_text(words, query.filters, limit=query.limit, offset=query.offset)
    else:
        vector = ctx.embedder.encode([words])[0]
        if query.mode is SearchMode.VECTOR:
            result = store.search_vector(vector, query.filters, limit=query.limit)
        else:
            result = store.search_hybrid(words, vector, query.filters, limit=query.limit)
    facets = result.facets
    if query.with_facets and not facets:
        facets = store.facets(query.filters, words or None)
    return SearchReport(query, result.hits, result.total, facets)
