"""Deadlines: which one applies, whether it is past, and how it reads in French — decided once.

A source gives a deadline either as a bare day or as an aware instant (`core.models`). The rules:
- a bare day lasts until the end of that day in the Europe/Paris calendar; an instant is an
  instant (`is_past`, `deadline_instant`);
- "today" given as a day starts at midnight, Paris time (`start_of_day`);
- a notice without a deadline of its own takes its lots' (`effective_deadline`);
- an instant is always shown in Paris time, so one deadline never reads with two different
  times in the same e-mail (`format_deadline_fr`, `format_datetime_fr`, `format_time_fr`).

Indexing (closing notices), matching (what is still open), the digests (what is still worth
sending, what is shown) and the explanations all call these functions.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from veilleuse.core.normalise import PARIS

if TYPE_CHECKING:  # core.models re-exports `deadline_instant`: no import of it at run time
    from veilleuse.core.models import Lot, Notice

NBSP = "\u00a0"  # keeps "12 h 00" on one line
MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
    "octobre", "novembre", "décembre",
)  # fmt: skip

Deadline = date | datetime


def deadline_instant(deadline: Deadline | None) -> datetime | None:
    """An aware instant for storing and sorting: a bare day is its last second in Paris."""
    return None if deadline is None else _instant(deadline)


def _instant(deadline: Deadline) -> datetime:
    if isinstance(deadline, datetime):
        return deadline
    return datetime.combine(deadline, time(23, 59, 59), tzinfo=PARIS)


def start_of_day(day: date) -> datetime:
    """The instant a day starts in the Paris calendar: what "now" is when only a day is given."""
    return datetime.combine(day, time(0, 0), tzinfo=PARIS)


def is_past(deadline: Deadline | None, now: datetime) -> bool:
    """Whether `now` is after the deadline: a bare day is past once that day has ended in Paris,
    an instant once it is reached. No deadline is never past."""
    if now.tzinfo is None:
        raise ValueError("is_past needs a timezone-aware `now`")
    if deadline is None:
        return False
    if isinstance(deadline, datetime):
        return deadline <= now
    return now.astimezone(PARIS).date() > deadline


def calendar_day(deadline: Deadline) -> date:
    """The Paris calendar day of a deadline or a moment (an instant is converted, a day kept)."""
    return deadline.astimezone(PARIS).date() if isinstance(deadline, datetime) else deadline


def effective_deadline(notice: Notice, lots: Iterable[Lot] | None = None) -> Deadline | None:
    """The deadline that applies: the notice's own, else one of its lots'.

    Without `lots`, the notice as a whole: it stays open until the last of its lots closes, so
    the latest lot deadline. With `lots` (those one actor bids for), the first of their
    deadlines, the one that actor must meet first. Lots without a deadline do not count.
    """
    if notice.deadline is not None:
        return notice.deadline
    if lots is None:
        dated = [lot.deadline for lot in notice.lots if lot.deadline is not None]
        return max(dated, key=_instant, default=None)
    dated = [lot.deadline for lot in lots if lot.deadline is not None]
    return min(dated, key=_instant, default=None)


# --------------------------------------------------------------------------- French wording


def format_date_fr(day: date) -> str:
    """'1er décembre 2026', '23 novembre 2026' — no locale needed."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {MONTHS[day.month - 1]} {day.year}"


def format_time_fr(moment: datetime) -> str:
    """'12 h 00' in Paris time, with non-breaking spaces."""
    local = moment.astimezone(PARIS)
    return f"{local.hour}{NBSP}h{NBSP}{local.minute:02d}"


def format_deadline_fr(deadline: Deadline | None) -> str:
    """'avant le 12 décembre 2026 à 12 h 00' (Paris time), 'au plus tard le 1er décembre 2026'
    for a bare day, 'date limite non précisée' without a deadline."""
    if deadline is None:
        return "date limite non précisée"
    if isinstance(deadline, datetime):
        return f"avant le {format_date_fr(calendar_day(deadline))} à {format_time_fr(deadline)}"
    return f"au plus tard le {format_date_fr(deadline)}"


def format_datetime_fr(value: date | datetime) -> str:
    """'12 décembre 2026 à 12 h 00' (Paris time), or the day alone for a bare day."""
    text = format_date_fr(calendar_day(value))
    if isinstance(value, datetime):
        text += f" à {format_time_fr(value)}"
    return text
