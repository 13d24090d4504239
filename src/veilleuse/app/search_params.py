"""The search URL codec: `SearchQuery` ↔ query string.

One set of stable, French-free parameter names serves the search page, the JSON API, saved
searches (which store the query string) and exports, so a URL is the whole view:

    q  mode  kind*  source*  dep*  cpv*  reserved  social_clause  status*  buyer  buyer_area*
    amount_min  amount_max  deadline_from  deadline_to  published_days  published_from
    published_to  audience*  updated_since  sort  page  per_page          (* repeatable)

`buyer_area` is an EPCI (SIREN, `245901160`) or a commune (INSEE code, `59606`): the notices
whose buyer lies there — a territory's own purchases.

List parameters may be repeated (`dep=59&dep=62`) or comma-separated (`dep=59,62`). Empty
values (an untouched form field) are ignored. Booleans are `true`/`false` (also 1/0, oui/non).
Dates are `YYYY-MM-DD`; `updated_since` is an ISO 8601 instant (no offset = UTC) or a day
(midnight, Paris time). `sort` is `relevance`, `deadline`, `published` or `updated`, with a
leading `-` for the reverse order (`-published`: newest first). A CPV code loses its check
digit and trailing zeros (`77310000-6` → `7731`): the code and every code below it.

`parse_query` raises `SearchParamsError` (a `ValidationError`) naming every bad parameter in
French, e.g. "Paramètre dep : « 999 » n'est pas un code de département.";
`to_query_string(parse_query(p))` is stable and `parse_query` of it gives the same query.

The rules of each value live in `app.search_param_values`; the French wording of a query (its
filters and sort as sentences) in `app.search_wording`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlencode

from veilleuse.app import search_param_values as values
from veilleuse.app.search import DEFAULT_PER_PAGE, SearchMode, SearchQuery
from veilleuse.core.errors import ValidationError
from veilleuse.core.models import NoticeKind, NoticeStatus
from veilleuse.search.store import MAX_WINDOW, Filters, Sort, SortKey

MAX_PER_PAGE = 100
#: the parameters that narrow the set of notices (no words, no order, no page)
FILTER_PARAMS = (
    "kind",
    "source",
    "dep",
    "cpv",
    "reserved",
    "social_clause",
    "status",
    "buyer",
    "buyer_area",
    "amount_min",
    "amount_max",
    "deadline_from",
    "deadline_to",
    "published_days",
    "published_from",
    "published_to",
    "audience",
)
PARAMS = ("q", "mode", *FILTER_PARAMS, "updated_since", "sort", "page", "per_page")
LIST_PARAMS = frozenset({"kind", "source", "dep", "cpv", "status", "buyer_area", "audience"})
T = TypeVar("T")


class SearchParamsError(ValidationError):
    """Bad search parameters; `problems` maps each parameter to its French message."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems.values()))


# --------------------------------------------------------------------------- parsing


def parse_query_string(query_string: str, *, strict: bool = False) -> SearchQuery:
    """`parse_query` of a raw query string (`a=1&b=2`, a leading `?` is allowed)."""
    return parse_query(parse_qs(query_string.lstrip("?"), keep_blank_values=True), strict=strict)


def parse_query(params: Mapping[str, Sequence[str]], *, strict: bool = False) -> SearchQuery:
    """The `SearchQuery` a URL describes; unknown parameters are ignored unless `strict`.

    Raises SearchParamsError naming every bad parameter (all of them, not the first one).
    """
    reader = _Reader(params, strict=strict)
    text = reader.read("q", values.text_up_to(500)) or ""
    mode = reader.read(
        "mode", values.one_of(SearchMode, "n'est pas un mode de recherche (text, vector, hybrid)")
    )
    filters = _read_filters(reader)
    published_days = reader.read("published_days", values.int_between(1, 3660))
    sort = reader.read("sort", values.sort_order)
    page = reader.read("page", values.int_between(1, MAX_WINDOW)) or 1
    per_page = reader.read("per_page", values.int_between(1, MAX_PER_PAGE)) or DEFAULT_PER_PAGE
    problems = reader.problems
    _check_order(problems, filters, "amount_min", "amount_max")
    _check_order(problems, filters, "deadline_from", "deadline_to")
    _check_order(problems, filters, "published_from", "published_to")
    _check_window(problems, page, per_page)
    if problems:
        raise SearchParamsError(problems)
    return SearchQuery.paged(
        page,
        per_page,
        text=text,
        mode=mode or SearchMode.HYBRID,
        filters=Filters(**filters),
        sort=sort,
        published_days=published_days,
    )


class _Reader:
    """The parameters of one URL read one by one; every refusal is kept in `problems`, in the
    order parameters are read (unknown ones first when strict)."""

    def __init__(self, params: Mapping[str, Sequence[str]], *, strict: bool) -> None:
        self.problems: dict[str, str] = {}
        self.values = {k: [v.strip() for v in vs if v.strip()] for k, vs in params.items()}
        if strict:
            for name in self.values:
                if name not in PARAMS:
                    self.problems[name] = f"Paramètre inconnu : {name}."

    def items(self, name: str) -> list[str]:
        raw = self.values.get(name, [])
        if name in LIST_PARAMS:
            return [part.strip() for v in raw for part in v.split(",") if part.strip()]
        return raw

    def one(self, name: str) -> str | None:
        found = self.items(name)
        if len(found) > 1:
            self.problems[name] = (
                f"Paramètre {name} : une seule valeur attendue, {len(found)} reçues."
            )
            return None
        return found[0] if found else None

    def read(self, name: str, convert: Callable[[str], T]) -> T | None:
        text = self.one(name)
        if text is None:
            return None
        try:
            return convert(text)
        except values.BadValue as exc:
            self.problems[name] = f"Paramètre {name} : « {text} » {exc}."
            return None

    def read_all(self, name: str, convert: Callable[[str], T]) -> list[T]:
        out: list[T] = []
        for text in self.items(name):
            try:
                value = convert(text)
            except values.BadValue as exc:
                self.problems.setdefault(name, f"Paramètre {name} : « {text} » {exc}.")
                continue
            if value not in out:
                out.append(value)
        return out


def _read_filters(reader: _Reader) -> dict[str, Any]:
    """The fields of `Filters`, in the order of `PARAMS`."""
    return {
        "kinds": reader.read_all("kind", values.one_of(NoticeKind, "n'est pas un type d'avis")),
        "sources": reader.read_all("source", values.name_token("n'est pas un nom de source")),
        "departments": reader.read_all("dep", values.department),
        "cpv_prefixes": reader.read_all("cpv", values.cpv_prefix),
        "reserved": reader.read("reserved", values.boolean),
        "social_clause": reader.read("social_clause", values.boolean),
        "statuses": reader.read_all(
            "status", values.one_of(NoticeStatus, "n'est pas un statut d'avis")
        ),
        "buyer": reader.read("buyer", values.text_up_to(200)),
        "buyer_areas": reader.read_all("buyer_area", values.area),
        "amount_min": reader.read("amount_min", values.amount),
        "amount_max": reader.read("amount_max", values.amount),
        "deadline_from": reader.read("deadline_from", values.day_or_instant),
        "deadline_to": reader.read("deadline_to", values.day_or_instant),
        "published_from": reader.read("published_from", values.day),
        "published_to": reader.read("published_to", values.day),
        "audiences": reader.read_all("audience", values.name_token("n'est pas un public")),
        "updated_since": reader.read("updated_since", values.since),
    }


def _check_window(problems: dict[str, str], page: int, per_page: int) -> None:
    """A page beyond the store's result window is refused on `page`."""
    if "page" not in problems and page * per_page > MAX_WINDOW:
        problems["page"] = (
            f"Paramètre page : « {page} » dépasse les {MAX_WINDOW:,} premiers résultats ; "
            "précisez la recherche.".replace(",", "\u202f")
        )


def _check_order(problems: dict[str, str], filters: dict[str, Any], low: str, high: str) -> None:
    """A range whose end comes before its start is refused on its end parameter."""
    start, end = filters.get(low), filters.get(high)
    if start is None or end is None or high in problems or low in problems:
        return
    if _comparable(start) > _comparable(end):
        relation = "supérieur" if low.startswith("amount") else "postérieur"
        problems[high] = f"Paramètre {high} : doit être {relation} ou égal à {low}."


def _comparable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time(0), UTC)
    return value


# --------------------------------------------------------------------------- writing


def sort_param(sort: Sort) -> str:
    """`deadline`, `-published`…: relevance has no direction."""
    if sort.key is SortKey.RELEVANCE:
        return "relevance"
    return f"{'-' if sort.descending else ''}{sort.key.value}"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def to_pairs(query: SearchQuery) -> list[tuple[str, str]]:
    """The (parameter, value) pairs of a query, in `PARAMS` order, defaults left out."""
    f = query.filters
    pairs: list[tuple[str, str]] = []

    def add(name: str, value: object) -> None:
        if value is None or value == [] or value == "":
            return
        if isinstance(value, list):
            pairs.extend((name, str(v)) for v in value)
        elif isinstance(value, bool):
            pairs.append((name, "true" if value else "false"))
        elif isinstance(value, float | int):
            pairs.append((name, _number(value)))
        elif isinstance(value, date | datetime):
            pairs.append((name, value.isoformat()))
        else:
            pairs.append((name, str(value)))

    add("q", query.text.strip())
    if query.mode is not SearchMode.HYBRID:
        add("mode", query.mode.value)
    add("kind", [k.value for k in f.kinds])
    add("source", f.sources)
    add("dep", f.departments)
    add("cpv", f.cpv_prefixes)
    add("reserved", f.reserved)
    add("social_clause", f.social_clause)
    add("status", [s.value for s in f.statuses])
    add("buyer", f.buyer)
    add("buyer_area", f.buyer_areas)
    add("amount_min", f.amount_min)
    add("amount_max", f.amount_max)
    add("deadline_from", f.deadline_from)
    add("deadline_to", f.deadline_to)
    add("published_days", query.published_days)
    add("published_from", f.published_from)
    add("published_to", f.published_to)
    add("audience", f.audiences)
    add("updated_since", f.updated_since)
    if query.sort is not None:
        add("sort", sort_param(query.sort))
    if query.page > 1:
        add("page", query.page)
    if query.per_page != DEFAULT_PER_PAGE:
        add("per_page", query.per_page)
    return pairs


def to_query_string(query: SearchQuery, *, page: bool = True) -> str:
    """The URL query string of a query (without `?`); `page=False` leaves paging out (saved
    searches and exports keep the view, not the page). The offset is written as a page, so an
    offset that is not a multiple of the page size is rounded down to its page."""
    pairs = to_pairs(query)
    if not page:
        pairs = [(k, v) for k, v in pairs if k not in ("page", "per_page")]
    return urlencode(pairs)


def search_page_url(base_url: str, query: SearchQuery) -> str:
    """`<base>/recherche?<query string>`: the search page showing this view."""
    qs = to_query_string(query, page=False)
    return f"{base_url.rstrip('/')}/recherche" + (f"?{qs}" if qs else "")
