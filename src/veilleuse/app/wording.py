"""French wording of dates and amounts for front ends (web pages, exports).

Dates and deadlines are worded by `core.deadlines`, amounts by the digests (`digests.render`),
so a date or an amount reads the same in an e-mail and on a page; this module only gives front
ends, which may not import below `app`, one door to both.
"""

from __future__ import annotations

from datetime import date, datetime

from veilleuse.core.deadlines import format_date_fr, format_deadline_fr, format_time_fr
from veilleuse.core.normalise import PARIS
from veilleuse.digests.render import days_left_fr, format_amount_fr

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
    return f"{format_date_fr(value.astimezone(PARIS).date())} à {format_time_fr(value)}"
