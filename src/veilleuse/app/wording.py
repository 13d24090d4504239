"""French wording of dates and amounts for front ends (web pages, exports).

The rules are the digests' (`digests.render`), so a date reads the same in an e-mail and on a
page; this module only gives front ends, which may not import below `app`, a door to them.
"""

from __future__ import annotations

from datetime import date, datetime

from veilleuse.core.normalise import PARIS
from veilleuse.digests.render import (
    NBSP,
    days_left_fr,
    format_amount_fr,
    format_date_fr,
    format_deadline_fr,
)

__all__ = [
    "days_left_fr",
    "format_amount_fr",
    "format_date_fr",
    "format_datetime_fr",
    "format_deadline_fr",
]


def format_datetime_fr(value: datetime | date | None) -> str:
    """'3 décembre 2026 à 14 h 05' in Paris time; a date alone reads as `format_date_fr`."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        return format_date_fr(value)
    local = value.astimezone(PARIS)
    return f"{format_date_fr(local.date())} à {local.hour}{NBSP}h{NBSP}{local.minute:02d}"
