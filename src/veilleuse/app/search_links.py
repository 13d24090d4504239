"""The links of the search page: the query string of the current view with one thing changed.

A facet value, an active criterion and a page number are each a link to another view; every
link is written by the codec (`app.search_params`), so it is also a URL the JSON API takes.
A changed filter goes back to page 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from veilleuse.app.search import SearchQuery, SearchReport
from veilleuse.app.search_params import to_query_string

#: page links on each side of the current page
PAGE_SPREAD = 2


def with_filters(query: SearchQuery, **changes: Any) -> str:
    """Query string of `query` with filter fields changed, back on page 1."""
    filters = query.filters.model_copy(update=changes)
    return to_query_string(query.model_copy(update={"filters": filters, "offset": 0}))


def toggled(query: SearchQuery, field_name: str, value: Any) -> str:
    """Query string of `query` with `value` added to a list filter, or removed when there."""
    current = list(getattr(query.filters, field_name))
    if value in current:
        current.remove(value)
    else:
        current.append(value)
    return with_filters(query, **{field_name: current})


@dataclass(frozen=True)
class PageLink:
    """A page number with its query string; `number` None is a gap (…)."""

    number: int | None
    href: str = ""
    current: bool = False


def _page_qs(query: SearchQuery, page: int) -> str:
    return to_query_string(query.model_copy(update={"offset": (page - 1) * query.limit}))


def page_links(
    query: SearchQuery, report: SearchReport
) -> tuple[list[PageLink], str | None, str | None]:
    """Links to the first, last and nearby pages, with gaps; previous and next."""
    current, last = report.page, report.pages
    wanted = {1, last, *range(current - PAGE_SPREAD, current + PAGE_SPREAD + 1)}
    numbers = sorted(n for n in wanted if 1 <= n <= last)
    links: list[PageLink] = []
    for index, number in enumerate(numbers):
        if index and number - numbers[index - 1] > 1:
            links.append(PageLink(None))
        links.append(PageLink(number, _page_qs(query, number), number == current))
    previous = _page_qs(query, current - 1) if current > 1 else None
    following = _page_qs(query, current + 1) if current < last else None
    return (links if last > 1 else []), previous, following
