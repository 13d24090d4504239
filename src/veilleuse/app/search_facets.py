"""The facets of the search page: per criterion, its values with their count and the link that
adds or removes each one.

Facets are counted as people read them ("disjunctive" facets): the counts of one criterion
ignore that criterion itself (the words and the other criteria still apply). With Nord (59)
chosen, the département facet still says how many Pas-de-Calais notices choosing 62 as well
would add; the other facets count what the page lists. This costs one more facet count per
active criterion that has a facet (`disjunctive_counts`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from veilleuse.app.context import Context
from veilleuse.app.search import SearchMode, SearchQuery, SearchReport
from veilleuse.app.search_links import toggled, with_filters
from veilleuse.app.search_wording import (
    audience_label,
    cpv_text,
    department_text,
    kind_label,
    status_label,
)
from veilleuse.core.models import NoticeKind, NoticeStatus
from veilleuse.digests.render import source_label

#: values shown before "N autres" in a facet group
FACET_TOP = 8

FLAG_LABELS = {"true": "oui", "false": "non"}
#: the deadline facet's buckets as ranges of days from today (`store.deadline_bucket`)
DEADLINE_BUCKETS: tuple[tuple[str, str, int | None, int | None], ...] = (
    ("week", "dans les 7 jours", 0, 7),
    ("month", "dans 8 à 30 jours", 8, 30),
    ("later", "dans plus de 30 jours", 31, None),
    ("past", "dépassée", None, -1),
)
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
#: list facet name → (filter field, label of a value, value of the field from the facet's text)
_LIST_FACETS: dict[str, tuple[str, Callable[[str], str], Callable[[str], Any]]] = {
    "kind": ("kinds", kind_label, NoticeKind),
    "status": ("statuses", status_label, NoticeStatus),
    "source": ("sources", source_label, str),
    "department": ("departments", department_text, str),
    "audience": ("audiences", audience_label, str),
}


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


def _empty(value: object) -> bool:
    return value is None or value == []


def disjunctive_counts(
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


def facet_groups(
    query: SearchQuery, counts: dict[str, dict[str, int]], today: date
) -> list[FacetGroup]:
    """The groups of `FACETS` that have a value to show, in that order."""
    groups: list[FacetGroup] = []
    for name, param, _, title in FACETS:
        found = counts.get(name, {})
        if name in _LIST_FACETS:
            field_name, label, convert = _LIST_FACETS[name]
            group = _list_group(query, name, param, title, field_name, found, label, convert)
        elif name == "cpv_division":
            group = _cpv_group(query, name, param, title, found)
        elif name in ("reserved", "social_clause"):
            group = _flag_group(query, name, param, title, found)
        else:
            group = _deadline_group(query, name, param, title, found, today)
        if group.options:
            groups.append(group)
    return groups


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
            href=toggled(query, field_name, convert(v)),
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


def _flag_group(
    query: SearchQuery, name: str, param: str, title: str, counts: dict[str, int]
) -> FacetGroup:
    """Oui / non of a yes-no filter: each shown when it counts notices or is chosen."""
    current = getattr(query.filters, name)
    options = [
        FacetOption(
            value=value,
            label=FLAG_LABELS[value],
            count=counts.get(value, 0),
            selected=current is (value == "true"),
            href=with_filters(
                query, **{name: None if current is (value == "true") else value == "true"}
            ),
        )
        for value in ("true", "false")
        if counts.get(value) or current is (value == "true")
    ]
    return FacetGroup(name, param, title, options)


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
            href=toggled(query, "cpv_prefixes", v),
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
            with_filters(query, deadline_from=None, deadline_to=None)
            if selected
            else with_filters(query, deadline_from=start, deadline_to=end)
        )
        options.append(FacetOption(bucket, label, count, selected, href))
    return FacetGroup(name, param, title, options)
