"""Finding CPV codes for a form: by the start of a code or by words of the French label, and the
labels of the codes written in a field.
"""

from __future__ import annotations

import re
from functools import cache
from itertools import islice

from veilleuse.core.normalise import cpv_codes, fold
from veilleuse.matching.cpv import cpv_label, cpv_labels


@cache
def _folded_labels() -> list[tuple[str, str, str]]:
    """(code, label, folded label) of every CPV code, general codes first."""
    rows = [(code, label, fold(label)) for code, label in cpv_labels().items()]
    return sorted(rows, key=lambda r: (len(r[0].rstrip("0")), r[0]))


def cpv_labels_of(text: str) -> list[tuple[str, str | None]]:
    """The CPV codes written in a form field ('77310000-6; 45000000') with their labels."""
    return [(code, cpv_label(code)) for code in cpv_codes(re.split(r"[\s;,]+", text))]


def search_cpv(term: str, limit: int = 20) -> list[tuple[str, str]]:
    """CPV codes whose code starts with `term` (digits), or whose French label holds every
    word of `term` (accents and case ignored); general codes first, at most `limit`."""
    text = term.strip()
    digits = text.replace(" ", "").split("-")[0]
    if digits.isdigit():
        return sorted((c, label) for c, label in cpv_labels().items() if c.startswith(digits))[
            :limit
        ]
    words = fold(text).split()
    found = (
        (code, label) for code, label, folded in _folded_labels() if all(w in folded for w in words)
    )
    return list(islice(found, limit)) if words else []
