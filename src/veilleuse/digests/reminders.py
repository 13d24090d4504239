"""Deadline reminders: when one is due, whether the actor's next digest can carry it, its line.

An actor that said a notice interested it (`records.interests`) gets one reminder of the
notice's deadline, `days_before` days ahead (`DigestSettings.reminder_days_before`). The rules,
pure and tested one by one:

- `window_opens`: the reminder is due from `deadline − days_before` (a bare day's deadline is
  its last second in Paris, `core.deadlines.deadline_instant`); never once the deadline is past
  (`is_due`), never for a notice without a deadline, nor for one closed or cancelled
  (`still_open`). A notice corrected (status `corrected`) or whose content changed since the
  interest (`content_hash` kept with it) is reminded « modifié » (`is_modified`).
- `rides_next_digest`: a due reminder waits for the actor's next weekly digest when that digest
  is expected in time — not late by more than `LATE_DIGEST`, and at least `DIGEST_MARGIN`
  before the deadline; otherwise it goes alone, in a short e-mail, now.

The reminder log (unique actor × notice) makes « once » a property of the records, whatever
carried the reminder (`app.reminders`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from veilleuse.core.deadlines import deadline_instant, is_past
from veilleuse.core.models import Lot, Notice, NoticeStatus

#: the latest a weekly digest may come before a deadline and still carry its reminder
DIGEST_MARGIN = timedelta(days=1)
#: a digest expected longer ago than this did not run: the reminder goes alone
LATE_DIGEST = timedelta(hours=12)
#: how long after its last digest an actor's next one is expected, by frequency
CADENCE = {
    "daily": timedelta(days=1),
    "weekly": timedelta(days=7),
    "biweekly": timedelta(days=14),
    "monthly": timedelta(days=28),
}


@dataclass
class ReminderLine:
    """One reminder: the notice, the deadline reminded, and what changed since the interest."""

    notice: Notice
    deadline: date | datetime
    #: corrected, or its content changed, since the actor said it was interested
    modified: bool = False
    #: the actor's lots (from its stored match), for the deadline and the lots shown
    lots: list[Lot] = field(default_factory=list)
    #: « un groupement est en cours — contact : … » when a team is already formed
    bid_note: str | None = None

    @property
    def uid(self) -> str:
        return self.notice.uid


def window_opens(deadline: date | datetime, days_before: int) -> datetime:
    """The instant a reminder of `deadline` becomes due."""
    instant = deadline_instant(deadline)
    assert instant is not None
    return instant - timedelta(days=days_before)


def is_due(deadline: date | datetime | None, now: datetime, days_before: int) -> bool:
    """Within `days_before` days of the deadline, and the deadline not past."""
    if deadline is None or is_past(deadline, now):
        return False
    return now >= window_opens(deadline, days_before)


def still_open(notice: Notice) -> bool:
    """Open or corrected: a closed or cancelled notice is never reminded."""
    return notice.status in (NoticeStatus.OPEN, NoticeStatus.CORRECTED)


def is_modified(notice: Notice, hash_at_interest: str | None) -> bool:
    """Corrected, or its content hash differs from the one kept with the interest (an
    interest without a hash, said before hashes were kept, counts the status only)."""
    if notice.status is NoticeStatus.CORRECTED:
        return True
    return bool(
        hash_at_interest and notice.content_hash and notice.content_hash != hash_at_interest
    )


def next_digest_expected(
    last_digest_at: datetime | None, frequency: str, receives_digests: bool
) -> datetime | None:
    """When the actor's next digest is expected: its last one plus its cadence; None when it
    gets none (unsubscribed, paused) or never got one (nothing to go by)."""
    if not receives_digests or last_digest_at is None:
        return None
    return last_digest_at + CADENCE.get(frequency, CADENCE["weekly"])


def rides_next_digest(
    next_digest_at: datetime | None, deadline: date | datetime, now: datetime
) -> bool:
    """Whether a due reminder should wait for the next digest (see the module docstring)."""
    if next_digest_at is None or next_digest_at < now - LATE_DIGEST:
        return False
    instant = deadline_instant(deadline)
    assert instant is not None
    return next_digest_at <= instant - DIGEST_MARGIN
