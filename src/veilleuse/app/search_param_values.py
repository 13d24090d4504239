"""The values one search parameter takes: each converter turns the text of a URL into a typed
value, or raises `BadValue` whose French message says why, after « value ».

Split from the codec (`app.search_params`), which names the parameters and assembles the query:
these are the rules of each value (what a département, a CPV prefix, a day or an instant is).
`SORTS` is the vocabulary of the `sort` parameter.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

from veilleuse.core import territory
from veilleuse.core.geo import department_name
from veilleuse.core.normalise import PARIS, normalise_department
from veilleuse.search.store import Sort, SortKey

SORTS = {
    "relevance": Sort(key=SortKey.RELEVANCE),
    "deadline": Sort(key=SortKey.DEADLINE),
    "-deadline": Sort(key=SortKey.DEADLINE, descending=True),
    "published": Sort(key=SortKey.PUBLISHED),
    "-published": Sort(key=SortKey.PUBLISHED, descending=True),
    "updated": Sort(key=SortKey.UPDATED),
    "-updated": Sort(key=SortKey.UPDATED, descending=True),
}
_TRUE = {"true", "1", "oui", "yes", "on"}
_FALSE = {"false", "0", "non", "no", "off"}
_NAME = re.compile(r"[\w.-]{1,80}", re.UNICODE)
_CPV = re.compile(r"(\d{2,8})(?:-\d)?")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


class BadValue(ValueError):
    """One value refused: the message says why, in French, after « value »."""


def text_up_to(limit: int) -> Callable[[str], str]:
    def convert(text: str) -> str:
        if len(text) > limit:
            raise BadValue(f"dépasse {limit} caractères")
        return text

    return convert


def one_of(enum: Any, why: str) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        try:
            return enum(text.lower())
        except ValueError:
            raise BadValue(why) from None

    return convert


def name_token(why: str) -> Callable[[str], str]:
    def convert(text: str) -> str:
        if not _NAME.fullmatch(text):
            raise BadValue(why)
        return text

    return convert


def department(text: str) -> str:
    code = normalise_department(text)
    if code is None or department_name(code) is None:
        raise BadValue("n'est pas un code de département")
    return code


def area(text: str) -> str:
    """An EPCI's SIREN or a commune's INSEE code, known to `core.territory`."""
    code = text.strip().upper()
    if code not in territory.epcis() and code not in territory.communes():
        raise BadValue("n'est ni un SIREN d'EPCI ni un code INSEE de commune")
    return code


def cpv_prefix(text: str) -> str:
    found = _CPV.fullmatch(text)
    if not found:
        raise BadValue("n'est pas un code CPV (2 à 8 chiffres)")
    digits = found.group(1)
    return digits.rstrip("0").ljust(2, "0")


def boolean(text: str) -> bool:
    folded = text.lower()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise BadValue("n'est ni true ni false")


def amount(text: str) -> float:
    compact = re.sub(r"[\s\u00a0\u202f€]", "", text)
    if not _NUMBER.fullmatch(compact):
        raise BadValue("n'est pas un montant en euros")
    return float(compact.replace(",", "."))


def day(text: str) -> date:
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise BadValue("n'est pas une date (AAAA-MM-JJ)")


def day_or_instant(text: str) -> date | datetime:
    if len(text) == 10:
        return day(text)
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadValue("n'est pas une date (AAAA-MM-JJ)") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def since(text: str) -> datetime:
    if len(text) == 10:
        return datetime.combine(day(text), time(0), PARIS)
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadValue("n'est pas un instant ISO 8601 (AAAA-MM-JJTHH:MM:SS+01:00)") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def int_between(low: int, high: int) -> Callable[[str], int]:
    def convert(text: str) -> int:
        if not text.isdigit():
            raise BadValue("n'est pas un nombre entier")
        value = int(text)
        if not low <= value <= high:
            raise BadValue(f"doit être compris entre {low} et {high}")
        return value

    return convert


def sort_order(text: str) -> Sort:
    found = SORTS.get(text.lower())
    if found is None:
        raise BadValue(f"n'est pas un tri ({', '.join(SORTS)})")
    return found
