"""The search page's view: one search report plus everything a front end shows as links.

`search_page(ctx, params)` reads the URL (`search_params.parse_query`), runs the search with
facets, and returns a `SearchPageView`, assembled from the modules that make each part:

- `app.search_facets`: facet groups whose values carry their count and the link that adds or
  removes them (counted "disjunctively": see there);
- `app.search_criteria`: the active criteria with the link that removes each one;
- `app.search_links`: page links (and the query-string helpers the other links use);
- `app.search_form`: the form's values, hidden fields and the choices of its selects;
- `app.search_wording`: the criteria and the sort as French sentences.

Every link is a query string written by `search_params`, so it is also a URL the JSON API takes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from veilleuse.app.context import Context
from veilleuse.app.search import SearchMode, SearchQuery, SearchReport, search
from veilleuse.app.search_criteria import ActiveFilter, active_filters
from veilleuse.app.search_explain import explain, relevance_label
from veilleuse.app.search_facets import FacetGroup, disjunctive_counts, facet_groups
from veilleuse.app.search_form import (
    Choice,
    department_choices,
    division_choices,
    flag_choices,
    form_values,
    hidden_fields,
    mode_choices,
    published_day_choices,
    sort_choices,
)
from veilleuse.app.search_links import PageLink, page_links
from veilleuse.app.search_params import parse_query, to_query_string
from veilleuse.app.search_wording import describe_filters, describe_sort
from veilleuse.core.errors import ConfigError
from veilleuse.search.store import Hit


@dataclass
class SearchPageView:
    query: SearchQuery
    report: SearchReport
    #: the view (no page): for exports, saving and the API
    query_string: str
    facets: list[FacetGroup]
    active: list[ActiveFilter]
    description: list[str]
    sort_text: str
    pages: list[PageLink]
    previous: str | None
    next: str | None
    first: int
    last: int
    #: values of the form's visible fields (text as typed)
    form: dict[str, str]
    #: (parameter, value) carried by hidden fields of the form
    hidden: list[tuple[str, str]]
    modes: list[Choice]
    sorts: list[Choice]
    published_days: list[Choice]
    flags: dict[str, list[Choice]]
    divisions: list[Choice]
    departments: list[Choice]
    #: a French sentence when the page had to change something (semantic search unavailable)
    notice: str | None = None
    #: uid → why it came up (`app.search_explain`), for searches with words
    reasons: dict[str, list[str]] = field(default_factory=dict)

    @property
    def hits(self) -> list[Hit]:
        return self.report.hits

    @property
    def total(self) -> int:
        return self.report.total

    @staticmethod
    def relevance_label(hit: Hit) -> str | None:
        return relevance_label(hit.relevance)

    def suggested_name(self) -> str:
        """A name for saving this view: its words, else its first criteria."""
        if self.query.has_words():
            return self.query.text.strip()[:200]
        return (" ; ".join(self.description[:2]) or "Tous les avis")[:200]


def search_page(
    ctx: Context, params: Mapping[str, Sequence[str]], *, today: date | None = None
) -> SearchPageView:
    """The page of the search the URL `params` describe. Raises SearchParamsError (French
    messages per parameter) for bad parameters.

    When the semantic model cannot be loaded, the words are searched as text and `notice`
    says so, rather than failing the page.
    """
    query = parse_query(params).model_copy(update={"with_facets": True})
    notice = None
    try:
        report = search(ctx, query)
    except ConfigError:
        if query.mode is SearchMode.TEXT or not query.has_words():
            raise
        notice = (
            "La recherche par le sens est indisponible pour le moment : les résultats "
            "ci-dessous contiennent les mots demandés."
        )
        report = search(ctx, query.model_copy(update={"mode": SearchMode.TEXT}))
    today = today or ctx.now().date()  # the stores bucket deadlines by UTC day
    counts = disjunctive_counts(ctx, query, report)
    first = query.offset + 1 if report.hits else 0
    pages, previous, following = page_links(query, report)
    return SearchPageView(
        query=query,
        report=report,
        query_string=to_query_string(query, page=False),
        facets=facet_groups(query, counts, today),
        active=active_filters(query),
        description=describe_filters(query),
        sort_text=describe_sort(query),
        pages=pages,
        previous=previous,
        next=following,
        first=first,
        last=query.offset + len(report.hits),
        form=form_values(query),
        hidden=hidden_fields(query),
        modes=mode_choices(query),
        sorts=sort_choices(query),
        published_days=published_day_choices(query),
        flags={
            name: flag_choices(getattr(query.filters, name), counts.get(name, {}))
            for name in ("reserved", "social_clause")
        },
        divisions=division_choices(),
        departments=department_choices(),
        notice=notice,
        reasons=(
            {h.notice.uid: explain(query.text, h) for h in report.hits} if query.has_words() else {}
        ),
    )
