"""The search page's view: one search report plus everything a front end shows as links.

`search_page(ctx, params)` reads the URL (`search_params.parse_query`), runs the search with
facets, and returns a `SearchPageView`: facet groups whose values carry their count and the
link that adds or removes them, the active criteria with the link that removes each one, page
links, and the choices of the form's selects, all worded in French. Every link is a query
string written by `search_params`, so it is also a URL the JSON API takes.

Facets are counted as people read them ("disjunctive" facets): the counts of one criterion
ignore that criterion itself (the words and the other criteria still apply). With Nord (59)
chosen, the département facet still says how many Pas-de-Calais notices choosing 62 as well
would add; the other facets count what the page lists. This costs one more facet count per
active criterion that has a facet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qsl

from veilleuse.app.context import Context
from veilleuse.app.search import SearchMode, SearchQuery, SearchReport, search
from veilleuse.app.search_params import parse_query, sort_param, to_query_string
from veilleuse.app.search_wording import (
    SORT_LABELS,
    STATUS_LABELS,
    describe_filters,
    describe_sort,
)
from veilleuse.core.errors import ConfigError
from veilleuse.core.geo import department_name
from veilleuse.core.models import NoticeKind, NoticeStatus
from veilleuse.digests.render import KIND_LABELS, format_amount_fr, format_date_fr, source_label
from veilleuse.matching.cpv import cpv_label
from veilleuse.search.store import Hit

#: values shown before "N autres" in a facet group
FACET_TOP = 8
#: page links on each side of the current page
PAGE_SPREAD = 2

AUDIENCE_LABELS = {
    "associations": "associations",
    "companies": "entreprises",
    "local_authorities": "collectivités",
    "public_bodies": "établissements publics",
    "education": "enseignement et formation",
    "researchers": "recherche",
    "individuals": "particuliers",
    "farmers": "agriculteur·rices",
    "social_landlords": "bailleurs sociaux",
}
FLAG_LABELS = {"true": "oui", "false": "non"}
#: the deadline facet's buckets as ranges of days from today (`store.deadline_bucket`)
DEADLINE_BUCKETS: tuple[tuple[str, str, int | None, int | None], ...] = (
    ("week", "dans les 7 jours", 0, 7),
    ("month", "dans 8 à 30 jours", 8, 30),
    ("later", "dans plus de 30 jours", 31, None),
    ("past", "dépassée", None, -1),
)
PUBLISHED_DAYS = ((1, "aujourd'hui ou hier"), (7, "7 derniers jours"), (30, "30 derniers jours"),
                  (90, "3 derniers mois"))  # fmt: skip
MAIN_SORTS = ("relevance", "deadline", "-published")
MODES = (SearchMode.HYBRID, SearchMode.TEXT, SearchMode.VECTOR)
MODE_CHOICES = {
    SearchMode.HYBRID: "Mots et sens",
    SearchMode.TEXT: "Mots exacts",
    SearchMode.VECTOR: "Sens seulement (sémantique)",
}
#: facet name → (parameter, filter fields it controls, title)
FACETS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("kind", "kind", ("kinds",), "Type d'avis"),
    ("deadline", "deadline", ("deadline_from", "deadline_to"), "Date limite"),
    ("department", "dep", ("departments",), "Département"),
    ("cpv_division", "cpv", ("cpv_prefixes",), "Domaine (CPV)"),
    ("reserved", "reserved", ("reserved",), "Marché réservé"),
    ("social_clause", "social_clause", ("social_clause",), "Clause sociale"),
    ("status", "status", ("statuses",), "Statut"),
    ("source", "source", ("sources",), "Source"),
    ("audience", "audience", ("audiences",), "Public des appels à projets"),
)
_LIST_FIELDS = {"kinds", "sources", "departments", "cpv_prefixes", "statuses", "audiences"}
#: parameters the page's form carries as hidden fields (chosen through facet links)
HIDDEN_PARAMS = ("kind", "source", "dep", "cpv", "status", "audience", "published_from",
                 "published_to", "updated_since", "per_page")  # fmt: skip


@dataclass(frozen=True)
class Choice:
    """One option of a select: its value, French label, and whether it is the current one."""

    value: str
    label: str
    selected: bool = False


@dataclass(frozen=True)
class FacetOption:
    value: str
    label: str
    count: int | None
    selected: bool
    #: query string of the view with this value added (or removed when selected), page 1
    href: str


@dataclass(frozen=True)
class FacetGroup:
    name: str
    param: str
    title: str
    options: list[FacetOption]
    more: list[FacetOption] = field(default_factory=list)


@dataclass(frozen=True)
class ActiveFilter:
    label: str
    #: query string of the view without this criterion
    href: str


@dataclass(frozen=True)
class PageLink:
    """A page number with its query string; `number` None is a gap (…)."""

    number: int | None
    href: str = ""
    current: bool = False


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

    @property
    def hits(self) -> list[Hit]:
        return self.report.hits

    @property
    def total(self) -> int:
        return self.report.total

    def suggested_name(self) -> str:
        """A name for saving this view: its words, else its first criteria."""
        if self.query.has_words():
            return self.query.text.strip()[:200]
        return (" ; ".join(self.description[:2]) or "Tous les avis")[:200]


# --------------------------------------------------------------------------- entry point


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
    counts = _disjunctive_counts(ctx, query, report)
    first = query.offset + 1 if report.hits else 0
    pages, previous, following = _pages(query, report)
    return SearchPageView(
        query=query,
        report=report,
        query_string=to_query_string(query, page=False),
        facets=_facet_groups(query, counts, today),
        active=_active(query),
        description=describe_filters(query),
        sort_text=describe_sort(query),
        pages=pages,
        previous=previous,
        next=following,
        first=first,
        last=query.offset + len(report.hits),
        form=_form_values(query),
        hidden=_hidden(query),
        modes=[Choice(m.value, MODE_CHOICES[m], m is query.mode) for m in MODES],
        sorts=_sorts(query),
        published_days=_published_days(query),
        flags={
            name: _flag_choices(getattr(query.filters, name), counts.get(name, {}))
            for name in ("reserved", "social_clause")
        },
        divisions=_divisions(),
        departments=_departments(),
        notice=notice,
    )


# --------------------------------------------------------------------------- facets


def _empty(value: object) -> bool:
    return value is None or value == []


def _disjunctive_counts(
    ctx: Context, query: SearchQuery, report: SearchReport
) -> dict[str, dict[str, int]]:
    """The report's facets, except that each facet with an active criterion is counted
    without that criterion."""
    counts = dict(report.facets)
    words = query.text.strip() if query.has_words() else ""
    text = words if query.mode is not SearchMode.VECTOR else ""
    for name, _, fields, _ in FACETS:
        if all(_empty(getattr(report.filters, f)) for f in fields):
            continue
        loosened = report.filters.model_copy(
            update={f: [] if f in _LIST_FIELDS else None for f in fields}
        )
        counts[name] = ctx.store.facets(loosened, text or None).get(name, {})
    return counts


def _with(query: SearchQuery, **changes: Any) -> str:
    """Query string of `query` with filter fields changed, back on page 1."""
    filters = query.filters.model_copy(update=changes)
    return to_query_string(query.model_copy(update={"filters": filters, "offset": 0}))


def _toggle(query: SearchQuery, field_name: str, value: Any) -> str:
    current = list(getattr(query.filters, field_name))
    if value in current:
        current.remove(value)
    else:
        current.append(value)
    return _with(query, **{field_name: current})


def _list_group(
    query: SearchQuery,
    name: str,
    param: str,
    title: str,
    field_name: str,
    counts: dict[str, int],
    label: Any,
    convert: Any = str,
) -> FacetGroup:
    selected = [str(v) for v in getattr(query.filters, field_name)]
    values = list(dict.fromkeys([*counts, *selected]))
    options = [
        FacetOption(
            value=v,
            label=label(v),
            count=counts.get(v),
            selected=v in selected,
            href=_toggle(query, field_name, convert(v)),
        )
        for v in values
    ]
    return _split(name, param, title, options)


def _split(name: str, param: str, title: str, options: list[FacetOption]) -> FacetGroup:
    """The first `FACET_TOP` values (largest counts) and every selected one up front."""
    top = options[:FACET_TOP]
    rest = options[FACET_TOP:]
    top += [o for o in rest if o.selected]
    return FacetGroup(name, param, title, top, [o for o in rest if not o.selected])


def _facet_groups(
    query: SearchQuery, counts: dict[str, dict[str, int]], today: date
) -> list[FacetGroup]:
    f = query.filters
    groups: list[FacetGroup] = []
    for name, param, _, title in FACETS:
        found = counts.get(name, {})
        if name == "kind":
            group = _list_group(query, name, param, title, "kinds", found, kind_label, NoticeKind)
        elif name == "status":
            group = _list_group(
                query, name, param, title, "statuses", found, status_label, NoticeStatus
            )
        elif name == "source":
            group = _list_group(query, name, param, title, "sources", found, source_label)
        elif name == "department":
            group = _list_group(query, name, param, title, "departments", found, department_text)
        elif name == "audience":
            group = _list_group(query, name, param, title, "audiences", found, audience_label)
        elif name == "cpv_division":
            group = _cpv_group(query, name, param, title, found)
        elif name in ("reserved", "social_clause"):
            current = getattr(f, name)
            options = [
                FacetOption(
                    value=value,
                    label=FLAG_LABELS[value],
                    count=found.get(value, 0),
                    selected=current is (value == "true"),
                    href=_with(
                        query, **{name: None if current is (value == "true") else value == "true"}
                    ),
                )
                for value in ("true", "false")
                if found.get(value) or current is (value == "true")
            ]
            group = FacetGroup(name, param, title, options)
        else:
            group = _deadline_group(query, name, param, title, found, today)
        if group.options:
            groups.append(group)
    return groups


def _cpv_group(
    query: SearchQuery, name: str, param: str, title: str, counts: dict[str, int]
) -> FacetGroup:
    """Divisions counted by the store, and every chosen code (a group or a class: no count)."""
    selected = list(query.filters.cpv_prefixes)
    values = list(dict.fromkeys([*counts, *selected]))
    options = [
        FacetOption(
            value=v,
            label=cpv_text(v),
            count=counts.get(v) if len(v) == 2 else None,
            selected=v in selected,
            href=_toggle(query, "cpv_prefixes", v),
        )
        for v in values
    ]
    return _split(name, param, title, options)


def _deadline_group(
    query: SearchQuery, name: str, param: str, title: str, counts: dict[str, int], today: date
) -> FacetGroup:
    f = query.filters
    options = []
    for bucket, label, low, high in DEADLINE_BUCKETS:
        start = today + timedelta(days=low) if low is not None else None
        end = today + timedelta(days=high) if high is not None else None
        selected = f.deadline_from == start and f.deadline_to == end
        count = counts.get(bucket, 0)
        if not count and not selected:
            continue
        href = (
            _with(query, deadline_from=None, deadline_to=None)
            if selected
            else _with(query, deadline_from=start, deadline_to=end)
        )
        options.append(FacetOption(bucket, label, count, selected, href))
    return FacetGroup(name, param, title, options)


# --------------------------------------------------------------------------- labels


def kind_label(value: str) -> str:
    try:
        return KIND_LABELS[NoticeKind(value)]
    except ValueError:
        return value


def status_label(value: str) -> str:
    try:
        return STATUS_LABELS[NoticeStatus(value)]
    except ValueError:
        return value


def department_text(code: str) -> str:
    name = department_name(code)
    return f"{code} – {name}" if name else code


def cpv_text(prefix: str) -> str:
    label = cpv_label(prefix.ljust(8, "0"))
    return f"{prefix} – {label}" if label else prefix


def audience_label(value: str) -> str:
    return AUDIENCE_LABELS.get(value, value.replace("-", " ").replace("_", " "))


def _divisions() -> list[Choice]:
    """Every CPV division (2 digits) with its French label, for the form's select."""
    out = []
    for number in range(1, 100):
        code = f"{number:02d}"
        label = cpv_label(code.ljust(8, "0"))
        if label:
            out.append(Choice(code, f"{code} – {label}"))
    return out


def _departments() -> list[Choice]:
    codes = [f"{n:02d}" for n in range(1, 96) if n != 20] + ["2A", "2B"]
    codes += [str(n) for n in range(971, 977)]
    found = [(code, department_name(code)) for code in codes]
    return sorted(
        (Choice(code, f"{code} – {name}") for code, name in found if name),
        key=lambda c: c.value.replace("2A", "20A").replace("2B", "20B"),
    )


# --------------------------------------------------------------------------- criteria


def _active(query: SearchQuery) -> list[ActiveFilter]:
    """One removable line per criterion (per value for lists), in the codec's order."""
    f = query.filters
    out: list[ActiveFilter] = []
    if query.has_words():
        remaining = query.model_copy(update={"text": "", "offset": 0})
        out.append(ActiveFilter(f"Mots : « {query.text.strip()} »", to_query_string(remaining)))

    def values(field_name: str, title: str, label: Any) -> None:
        for value in getattr(f, field_name):
            out.append(ActiveFilter(f"{title} : {label(str(value))}",
                                    _toggle(query, field_name, value)))  # fmt: skip

    values("kinds", "Type", kind_label)
    values("sources", "Source", source_label)
    values("departments", "Département", department_text)
    values("cpv_prefixes", "CPV", cpv_text)
    for name, title in (("reserved", "Marché réservé"), ("social_clause", "Clause sociale")):
        flag = getattr(f, name)
        if flag is not None:
            out.append(ActiveFilter(f"{title} : {'oui' if flag else 'non'}",
                                    _with(query, **{name: None})))  # fmt: skip
    values("statuses", "Statut", status_label)
    if f.buyer:
        out.append(ActiveFilter(f"Acheteur ou financeur : « {f.buyer} »", _with(query, buyer=None)))
    if f.amount_min is not None:
        out.append(ActiveFilter(f"Montant d'au moins {format_amount_fr(f.amount_min)}",
                                _with(query, amount_min=None)))  # fmt: skip
    if f.amount_max is not None:
        out.append(ActiveFilter(f"Montant d'au plus {format_amount_fr(f.amount_max)}",
                                _with(query, amount_max=None)))  # fmt: skip
    if f.deadline_from is not None:
        out.append(ActiveFilter(f"Date limite à partir du {_day_fr(f.deadline_from)}",
                                _with(query, deadline_from=None)))  # fmt: skip
    if f.deadline_to is not None:
        out.append(ActiveFilter(f"Date limite jusqu'au {_day_fr(f.deadline_to)}",
                                _with(query, deadline_to=None)))  # fmt: skip
    if query.published_days is not None:
        remaining = query.model_copy(update={"published_days": None, "offset": 0})
        out.append(ActiveFilter(_published_label(query.published_days),
                                to_query_string(remaining)))  # fmt: skip
    if f.published_from is not None:
        out.append(ActiveFilter(f"Publié à partir du {_day_fr(f.published_from)}",
                                _with(query, published_from=None)))  # fmt: skip
    if f.published_to is not None:
        out.append(ActiveFilter(f"Publié jusqu'au {_day_fr(f.published_to)}",
                                _with(query, published_to=None)))  # fmt: skip
    values("audiences", "Public", audience_label)
    if f.updated_since is not None:
        out.append(ActiveFilter(f"Nouveau ou modifié depuis le {_day_fr(f.updated_since)}",
                                _with(query, updated_since=None)))  # fmt: skip
    return out


def _day_fr(value: Any) -> str:
    return format_date_fr(value.date() if hasattr(value, "date") else value)


def _published_label(days: int) -> str:
    return "Publié aujourd'hui ou hier" if days == 1 else f"Publié dans les {days} derniers jours"


# --------------------------------------------------------------------------- form


def _form_values(query: SearchQuery) -> dict[str, str]:
    """The visible fields' values as the codec writes them (what a GET form sends back)."""
    pairs = dict(_pairs(query))
    names = ("q", "buyer", "amount_min", "amount_max", "deadline_from", "deadline_to")
    values = {name: pairs.get(name, "") for name in names}
    for name in ("deadline_from", "deadline_to"):
        values[name] = values[name][:10]  # a date input takes a day (an instant keeps its day)
    return values


def _pairs(query: SearchQuery) -> list[tuple[str, str]]:
    return parse_qsl(to_query_string(query), keep_blank_values=False)


def _hidden(query: SearchQuery) -> list[tuple[str, str]]:
    return [(k, v) for k, v in _pairs(query) if k in HIDDEN_PARAMS]


def _sorts(query: SearchQuery) -> list[Choice]:
    current = sort_param(query.sort) if query.sort is not None else "relevance"
    names = list(MAIN_SORTS) + ([current] if current not in MAIN_SORTS else [])
    # relevance is written as no parameter: without words it is the listing order
    return [
        Choice("" if n == "relevance" else n, SORT_LABELS[n].capitalize(), n == current)
        for n in names
    ]


def _published_days(query: SearchQuery) -> list[Choice]:
    current = query.published_days
    known = [days for days, _ in PUBLISHED_DAYS]
    options = [Choice("", "Toutes dates", current is None)]
    options += [Choice(str(d), label.capitalize(), d == current) for d, label in PUBLISHED_DAYS]
    if current is not None and current not in known:
        options.append(Choice(str(current), f"{current} derniers jours", True))
    return options


def _flag_choices(current: bool | None, counts: dict[str, int]) -> list[Choice]:
    def label(text: str, key: str) -> str:
        return f"{text} ({counts[key]})" if key in counts else text

    return [
        Choice("", "Indifférent", current is None),
        Choice("true", label("Oui", "true"), current is True),
        Choice("false", label("Non", "false"), current is False),
    ]


# --------------------------------------------------------------------------- pages


def _page_qs(query: SearchQuery, page: int) -> str:
    return to_query_string(query.model_copy(update={"offset": (page - 1) * query.limit}))


def _pages(
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
