"""The search URL: `SearchQuery` ↔ query string, and the active filters described in French.

One set of stable, French-free parameter names serves the search page, the JSON API, saved
searches (which store the query string) and exports, so a URL is the whole view:

    q  mode  kind*  source*  dep*  cpv*  reserved  social_clause  status*  buyer  amount_min
    amount_max  deadline_from  deadline_to  published_days  published_from  published_to
    audience*  updated_since  sort  page  per_page                       (* repeatable)

List parameters may be repeated (`dep=59&dep=62`) or comma-separated (`dep=59,62`). Empty
values (an untouched form field) are ignored. Booleans are `true`/`false` (also 1/0, oui/non).
Dates are `YYYY-MM-DD`; `updated_since` is an ISO 8601 instant (no offset = UTC) or a day
(midnight, Paris time). `sort` is `relevance`, `deadline`, `published` or `updated`, with a
leading `-` for the reverse order (`-published`: newest first). A CPV code loses its check
digit and trailing zeros (`77310000-6` → `7731`): the code and every code below it.

`parse_query` raises `SearchParamsError` (a `ValidationError`) naming every bad parameter in
French, e.g. "Paramètre dep : « 999 » n'est pas un code de département.";
`to_query_string(parse_query(p))` is stable and `parse_query` of it gives the same query.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlencode

from veilleuse.app.search import DEFAULT_PER_PAGE, SearchMode, SearchQuery
from veilleuse.core.errors import ValidationError
from veilleuse.core.geo import department_name
from veilleuse.core.models import NoticeKind, NoticeStatus
from veilleuse.core.normalise import PARIS, normalise_department
from veilleuse.digests.render import (
    KIND_LABELS,
    format_amount_fr,
    format_date_fr,
    source_label,
)
from veilleuse.matching.cpv import cpv_label
from veilleuse.search.store import MAX_WINDOW, Filters, Sort, SortKey

MAX_PER_PAGE = 100
PARAMS = (
    "q",
    "mode",
    "kind",
    "source",
    "dep",
    "cpv",
    "reserved",
    "social_clause",
    "status",
    "buyer",
    "amount_min",
    "amount_max",
    "deadline_from",
    "deadline_to",
    "published_days",
    "published_from",
    "published_to",
    "audience",
    "updated_since",
    "sort",
    "page",
    "per_page",
)
LIST_PARAMS = frozenset({"kind", "source", "dep", "cpv", "status", "audience"})
SORTS = {
    "relevance": Sort(key=SortKey.RELEVANCE),
    "deadline": Sort(key=SortKey.DEADLINE),
    "-deadline": Sort(key=SortKey.DEADLINE, descending=True),
    "published": Sort(key=SortKey.PUBLISHED),
    "-published": Sort(key=SortKey.PUBLISHED, descending=True),
    "updated": Sort(key=SortKey.UPDATED),
    "-updated": Sort(key=SortKey.UPDATED, descending=True),
}
SORT_LABELS = {
    "relevance": "pertinence",
    "deadline": "date limite la plus proche",
    "-deadline": "date limite la plus lointaine",
    "published": "publication la plus ancienne",
    "-published": "publication la plus récente",
    "updated": "modification la plus ancienne",
    "-updated": "modification la plus récente",
}
STATUS_LABELS = {
    NoticeStatus.OPEN: "ouvert",
    NoticeStatus.CLOSED: "clos",
    NoticeStatus.CANCELLED: "annulé",
    NoticeStatus.CORRECTED: "rectifié",
}
MODE_LABELS = {
    SearchMode.TEXT: "mots exacts",
    SearchMode.VECTOR: "sémantique",
    SearchMode.HYBRID: "mots et sens",
}
_TRUE = {"true", "1", "oui", "yes", "on"}
_FALSE = {"false", "0", "non", "no", "off"}
_NAME = re.compile(r"[\w.-]{1,80}", re.UNICODE)
_CPV = re.compile(r"(\d{2,8})(?:-\d)?")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")

T = TypeVar("T")


class SearchParamsError(ValidationError):
    """Bad search parameters; `problems` maps each parameter to its French message."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems.values()))


class _Problem(ValueError):
    """One value refused: the message says why, in French, after « value »."""


# --------------------------------------------------------------------------- parsing


def parse_query_string(query_string: str, *, strict: bool = False) -> SearchQuery:
    """`parse_query` of a raw query string (`a=1&b=2`, a leading `?` is allowed)."""
    return parse_query(parse_qs(query_string.lstrip("?"), keep_blank_values=True), strict=strict)


def parse_query(params: Mapping[str, Sequence[str]], *, strict: bool = False) -> SearchQuery:
    """The `SearchQuery` a URL describes; unknown parameters are ignored unless `strict`.

    Raises SearchParamsError naming every bad parameter (all of them, not the first one).
    """
    problems: dict[str, str] = {}
    values = {k: [v.strip() for v in vs if v.strip()] for k, vs in params.items()}
    if strict:
        for name in values:
            if name not in PARAMS:
                problems[name] = f"Paramètre inconnu : {name}."

    def items(name: str) -> list[str]:
        raw = values.get(name, [])
        if name in LIST_PARAMS:
            return [part.strip() for v in raw for part in v.split(",") if part.strip()]
        return raw

    def one(name: str) -> str | None:
        found = items(name)
        if len(found) > 1:
            problems[name] = f"Paramètre {name} : une seule valeur attendue, {len(found)} reçues."
            return None
        return found[0] if found else None

    def read(name: str, convert: Callable[[str], T]) -> T | None:
        text = one(name)
        if text is None:
            return None
        try:
            return convert(text)
        except _Problem as exc:
            problems[name] = f"Paramètre {name} : « {text} » {exc}."
            return None

    def read_all(name: str, convert: Callable[[str], T]) -> list[T]:
        out: list[T] = []
        for text in items(name):
            try:
                value = convert(text)
            except _Problem as exc:
                problems.setdefault(name, f"Paramètre {name} : « {text} » {exc}.")
                continue
            if value not in out:
                out.append(value)
        return out

    text = read("q", _text(500)) or ""
    mode = read(
        "mode", _choice(SearchMode, "n'est pas un mode de recherche (text, vector, hybrid)")
    )
    filters: dict[str, Any] = {
        "kinds": read_all("kind", _choice(NoticeKind, "n'est pas un type d'avis")),
        "sources": read_all("source", _name("n'est pas un nom de source")),
        "departments": read_all("dep", _department),
        "cpv_prefixes": read_all("cpv", _cpv),
        "reserved": read("reserved", _bool),
        "social_clause": read("social_clause", _bool),
        "statuses": read_all("status", _choice(NoticeStatus, "n'est pas un statut d'avis")),
        "buyer": read("buyer", _text(200)),
        "amount_min": read("amount_min", _amount),
        "amount_max": read("amount_max", _amount),
        "deadline_from": read("deadline_from", _day_or_instant),
        "deadline_to": read("deadline_to", _day_or_instant),
        "published_from": read("published_from", _day),
        "published_to": read("published_to", _day),
        "audiences": read_all("audience", _name("n'est pas un public")),
        "updated_since": read("updated_since", _since),
    }
    published_days = read("published_days", _int_between(1, 3660))
    sort = read("sort", _sort)
    page = read("page", _int_between(1, MAX_WINDOW)) or 1
    per_page = read("per_page", _int_between(1, MAX_PER_PAGE)) or DEFAULT_PER_PAGE
    _check_order(problems, filters, "amount_min", "amount_max")
    _check_order(problems, filters, "deadline_from", "deadline_to")
    _check_order(problems, filters, "published_from", "published_to")
    if "page" not in problems and page * per_page > MAX_WINDOW:
        problems["page"] = (
            f"Paramètre page : « {page} » dépasse les {MAX_WINDOW:,} premiers résultats ; "
            "précisez la recherche.".replace(",", "\u202f")
        )
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


def _text(limit: int) -> Callable[[str], str]:
    def convert(text: str) -> str:
        if len(text) > limit:
            raise _Problem(f"dépasse {limit} caractères")
        return text

    return convert


def _choice(enum: Any, why: str) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        try:
            return enum(text.lower())
        except ValueError:
            raise _Problem(why) from None

    return convert


def _name(why: str) -> Callable[[str], str]:
    def convert(text: str) -> str:
        if not _NAME.fullmatch(text):
            raise _Problem(why)
        return text

    return convert


def _department(text: str) -> str:
    code = normalise_department(text)
    if code is None or department_name(code) is None:
        raise _Problem("n'est pas un code de département")
    return code


def _cpv(text: str) -> str:
    found = _CPV.fullmatch(text)
    if not found:
        raise _Problem("n'est pas un code CPV (2 à 8 chiffres)")
    digits = found.group(1)
    return digits.rstrip("0").ljust(2, "0")


def _bool(text: str) -> bool:
    folded = text.lower()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise _Problem("n'est ni true ni false")


def _amount(text: str) -> float:
    compact = re.sub(r"[\s\u00a0\u202f€]", "", text)
    if not _NUMBER.fullmatch(compact):
        raise _Problem("n'est pas un montant en euros")
    return float(compact.replace(",", "."))


def _day(text: str) -> date:
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise _Problem("n'est pas une date (AAAA-MM-JJ)")


def _day_or_instant(text: str) -> date | datetime:
    if len(text) == 10:
        return _day(text)
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _Problem("n'est pas une date (AAAA-MM-JJ)") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _since(text: str) -> datetime:
    if len(text) == 10:
        return datetime.combine(_day(text), time(0), PARIS)
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _Problem("n'est pas un instant ISO 8601 (AAAA-MM-JJTHH:MM:SS+01:00)") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _int_between(low: int, high: int) -> Callable[[str], int]:
    def convert(text: str) -> int:
        if not text.isdigit():
            raise _Problem("n'est pas un nombre entier")
        value = int(text)
        if not low <= value <= high:
            raise _Problem(f"doit être compris entre {low} et {high}")
        return value

    return convert


def _sort(text: str) -> Sort:
    found = SORTS.get(text.lower())
    if found is None:
        raise _Problem(f"n'est pas un tri ({', '.join(SORTS)})")
    return found


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


# --------------------------------------------------------------------------- French


def _cpv_text(prefix: str) -> str:
    label = cpv_label(prefix.ljust(8, "0"))
    return f"{prefix} – {label}" if label else prefix


def _department_text(code: str) -> str:
    name = department_name(code)
    return f"{code} – {name}" if name else code


def _yes_no(value: bool) -> str:
    return "oui" if value else "non"


def _labelled(singular: str, plural: str, values: list[str]) -> str:
    return f"{singular if len(values) == 1 else plural} : {', '.join(values)}"


def _range_fr(low: str | None, high: str | None, *, dates: bool) -> str:
    if low and high:
        return f"du {low} au {high}" if dates else f"entre {low} et {high}"
    if low:
        return f"à partir du {low}" if dates else f"au moins {low}"
    return f"jusqu'au {high}" if dates else f"au plus {high}"


def _when_fr(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        local = value.astimezone(PARIS)
        return f"{format_date_fr(local.date())} à {local.hour}\u00a0h\u00a0{local.minute:02d}"
    return format_date_fr(value)


def describe_filters(query: SearchQuery) -> list[str]:
    """One French line per active criterion (words first), for exports and alert e-mails.

    E.g. ["Mots : « nettoyage »", "Département : 59 – Nord", "CPV : 90 – Services d'évacuation
    …"]; an empty list means every notice.
    """
    f = query.filters
    lines: list[str] = []
    if query.has_words():
        how = "tous les mots" if query.all_words else MODE_LABELS[query.mode]
        lines.append(f"Mots : « {query.text.strip()} » ({how})")
    if f.kinds:
        lines.append(_labelled("Type", "Types", [KIND_LABELS[k] for k in f.kinds]))
    if f.sources:
        names = list(dict.fromkeys(source_label(s) for s in f.sources))
        lines.append(_labelled("Source", "Sources", names))
    if f.departments:
        deps = [_department_text(d) for d in f.departments]
        lines.append(_labelled("Département", "Départements", deps))
    if f.cpv_prefixes:  # CPV labels contain commas: codes are separated by semicolons
        lines.append("CPV : " + " ; ".join(_cpv_text(c) for c in f.cpv_prefixes))
    if f.reserved is not None:
        lines.append(f"Marché réservé : {_yes_no(f.reserved)}")
    if f.social_clause is not None:
        lines.append(f"Clause sociale : {_yes_no(f.social_clause)}")
    if f.statuses:
        lines.append(_labelled("Statut", "Statuts", [STATUS_LABELS[s] for s in f.statuses]))
    if f.buyer:
        lines.append(f"Acheteur ou financeur contenant : « {f.buyer} »")
    if f.amount_min is not None or f.amount_max is not None:
        low = format_amount_fr(f.amount_min) if f.amount_min is not None else None
        high = format_amount_fr(f.amount_max) if f.amount_max is not None else None
        lines.append(f"Montant estimé : {_range_fr(low, high, dates=False)}")
    if f.deadline_from is not None or f.deadline_to is not None:
        span = _range_fr(_when_fr(f.deadline_from), _when_fr(f.deadline_to), dates=True)
        lines.append(f"Date limite : {span}")
    if query.published_days is not None:
        days = query.published_days
        lines.append(
            "Publié : aujourd'hui ou hier"
            if days == 1
            else f"Publié : dans les {days} derniers jours"
        )
    if f.published_from is not None or f.published_to is not None:
        span = _range_fr(_when_fr(f.published_from), _when_fr(f.published_to), dates=True)
        lines.append(f"Publication : {span}")
    if f.audiences:
        lines.append(_labelled("Public", "Publics", f.audiences))
    if f.updated_since is not None:
        lines.append(f"Nouveau ou modifié depuis le {_when_fr(f.updated_since)}")
    return lines


def describe_sort(query: SearchQuery) -> str:
    """'Tri : date limite la plus proche' — the order results come in."""
    if query.sort is None or query.sort.key is SortKey.RELEVANCE:
        name = "relevance" if query.has_words() else "deadline"
    else:
        name = sort_param(query.sort)
    return f"Tri : {SORT_LABELS[name]}"
