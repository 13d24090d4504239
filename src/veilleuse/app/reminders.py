"""Deadline reminders: one per actor × notice it said interested it, `reminder_days_before` days
before the deadline — in its next digest when that comes in time, else in a short e-mail now.

`due_reminders` decides which reminders are due (rules in `digests.reminders`): an interest
(`records.interests`) of an active actor in a notice still open or corrected, whose deadline
(the first of the actor's lots when its match names lots, else the notice's) is within the
window and not past, and that the reminder log has for neither the notice nor one of its
duplicates in other sources. `send_reminders` (the daily run: `veilleuse reminders`, the
`reminders` flow) first resends what a previous run logged and did not send, then leaves to the
next digest what it can carry (`rides_next_digest`) and sends the rest, one e-mail per actor,
logged with its reminders in one transaction before it is sent. The weekly digest
(`app.digest.digest_stage`) carries the due reminders of the actors it serves, logged in the
digest's own transaction. Either way the log's key (actor × notice) forbids a second reminder.

An actor that unsubscribed gets no reminder; one whose digest is paused gets them by e-mail.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from veilleuse.app.context import Context
from veilleuse.app.delivery import deliver, deliverable, resend_pending
from veilleuse.app.digest_links import LinkMaker
from veilleuse.app.team_formed import FormedBids, formed_bids
from veilleuse.core.deadlines import calendar_day, deadline_instant, effective_deadline
from veilleuse.core.errors import RecordsError
from veilleuse.core.models import Actor, Lot, Notice
from veilleuse.core.signed_links import LinkAction
from veilleuse.digests.compose import Digest
from veilleuse.digests.mailer import build_message
from veilleuse.digests.reminder_mail import render_reminder_mail
from veilleuse.digests.reminders import (
    ReminderLine,
    is_due,
    is_modified,
    next_digest_expected,
    rides_next_digest,
    still_open,
)
from veilleuse.records import actors as actor_records
from veilleuse.records import delivery as delivery_records
from veilleuse.records import digest_log
from veilleuse.records import interests as interest_records
from veilleuse.records import matches as match_records
from veilleuse.records import reminders as reminder_records
from veilleuse.records.reminders import ReminderEntry


@dataclass
class RemindersReport:
    """What one run did; every due reminder is sent, deferred or in one of the lists."""

    sent: list[str] = field(default_factory=list)  # reminder e-mail ids
    resent: list[str] = field(default_factory=list)  # e-mails of earlier runs sent now
    reminders: int = 0  # reminders in the e-mails sent this run
    modified: int = 0  # of which « modifié »
    #: (actor id, notice uid) left for the actor's next digest
    deferred: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (e-mail id, why)
    no_address: list[str] = field(default_factory=list)  # actor ids
    #: actors whose every address a mail server refused for good
    undeliverable: list[str] = field(default_factory=list)
    unsubscribed: list[str] = field(default_factory=list)  # actor ids


def unsubscribed(actor: Actor) -> bool:
    """The actor stopped its e-mails from an unsubscribe link (a paused digest is not that)."""
    return actor.digest.unsubscribed_at is not None


def recipients(actor: Actor) -> list[str]:
    """Where the actor's e-mails go (its preferences' addresses when it has them)."""
    return actor.digest_recipients()


def due_reminders(
    ctx: Context,
    now: datetime,
    actors: Sequence[Actor] | None = None,
    *,
    formed: FormedBids | None = None,
) -> dict[str, list[ReminderLine]]:
    """Actor id → the reminders due now and not yet logged, soonest deadline first (see the
    module docstring); a notice whose grouped bid formed its team in the actor's territory is
    reminded with « un groupement est en cours — contact : … » (`app.team_formed`; `formed` is
    read when not given). A bounded number of queries: interests, the log, notices, matches,
    bids."""
    records = ctx.records
    if actors is None:
        actors = actor_records.list_actors(records)
    active = {a.id for a in actors if not unsubscribed(a)}
    interests = [
        i
        for i in interest_records.interests_of_actors(records, sorted(active))
        if i.actor_id in active
    ]
    logged = reminder_records.reminded_pairs(records, sorted({i.actor_id for i in interests}))
    wanted = sorted({i.notice_uid for i in interests if (i.actor_id, i.notice_uid) not in logged})
    if not wanted:
        return {}
    notices = {n.uid: n for n in ctx.store.get_many(wanted)}
    lots = {
        (m.actor_id, m.notice_uid): m.lot_ids
        for m in match_records.matches_of_notices(records, sorted(notices))
    }
    days = ctx.settings.digest.reminder_days_before
    if formed is None:
        formed = formed_bids(ctx, sorted(active))
    due: dict[str, list[ReminderLine]] = defaultdict(list)
    taken: set[tuple[str, str]] = set(logged)
    for interest in interests:
        notice = notices.get(interest.notice_uid)
        if notice is None or not still_open(notice):
            continue
        identity = {notice.uid, *notice.also_in}
        if any((interest.actor_id, uid) in taken for uid in identity):
            continue  # reminded already, maybe through a duplicate from another source
        chosen = _lots(notice, lots.get((interest.actor_id, notice.uid), []))
        deadline = effective_deadline(notice, chosen or None)
        if deadline is None or not is_due(deadline, now, days):
            continue
        taken |= {(interest.actor_id, uid) for uid in identity}
        modified = is_modified(notice, interest.content_hash)
        note = formed.note(interest.actor_id, notice)
        due[interest.actor_id].append(ReminderLine(notice, deadline, modified, chosen, note))
    for lines in due.values():
        lines.sort(key=lambda line: (deadline_instant(line.deadline), line.uid))
    return dict(due)


def _lots(notice: Notice, lot_ids: Sequence[str]) -> list[Lot]:
    wanted = set(lot_ids)
    return [lot for lot in notice.lots if lot.id in wanted]


def entries(lines: Sequence[ReminderLine]) -> list[ReminderEntry]:
    """What the reminder log keeps of `lines`."""
    return [
        ReminderEntry(line.uid, deadline_instant(line.deadline), line.modified) for line in lines
    ]


def reminder_mail(
    ctx: Context, actor: Actor, lines: list[ReminderLine], mail_id: str, now: datetime
) -> Digest:
    """The reminder e-mail of `actor` as a digest with only reminders (`digests.reminder_mail`)."""
    today: date = calendar_day(now)
    return Digest(
        actor=actor,
        lines=[],
        period_start=today,
        period_end=today,
        degraded_sources=[],
        territory_name=ctx.settings.territory_name,
        digest_id=mail_id,
        today=today,
        reminders=lines,
    )


def send_reminders(ctx: Context, now: datetime | None = None) -> RemindersReport:
    """Send the reminders that cannot wait for a digest (see the module docstring)."""
    now = now or ctx.now()
    records, mailer, mail = ctx.records, ctx.mailer, ctx.settings.mail
    report = RemindersReport()
    earlier = resend_pending(records, mailer)
    report.resent, report.failed = earlier.sent, list(earlier.failed)
    actors = actor_records.list_actors(records)
    due = due_reminders(ctx, now, actors)
    links = LinkMaker.from_settings(ctx.settings, now) if due else None
    blocked = delivery_records.blocked_addresses(records) if due else set()
    for actor in actors:
        lines = due.get(actor.id)
        if not lines:
            continue
        next_digest = next_digest_expected(
            digest_log.last_digest_at(records, actor.id),
            actor.digest.frequency,
            actor.digest.enabled,
        )
        alone = []
        for line in lines:
            if rides_next_digest(next_digest, line.deadline, now):
                report.deferred.append((actor.id, line.uid))
            else:
                alone.append(line)
        if not alone:
            continue
        if not recipients(actor):
            report.no_address.append(actor.id)
            continue
        reachable = deliverable(actor, blocked)
        if reachable is None:
            report.undeliverable.append(actor.id)
            continue
        assert links is not None
        mail_id = reminder_records.free_mail_id(
            records, f"rappel:{actor.id}:{calendar_day(now).isoformat()}"
        )
        digest = reminder_mail(ctx, reachable, alone, mail_id, now)
        preferences = links.url(actor.id, LinkAction.PREFERENCES)
        unsubscribe = links.url(actor.id, LinkAction.UNSUBSCRIBE)
        message = build_message(
            digest,
            render_reminder_mail(digest, preferences_url=preferences, unsubscribe_url=unsubscribe),
            sender=mail.sender,
            reply_to=mail.reply_to,
            unsubscribe_url=unsubscribe,
            date=now,
        )
        try:
            reminder_records.reserve_reminder_mail(
                records, mail_id, actor.id, now, message.as_string(), entries(alone)
            )
        except RecordsError as exc:  # a concurrent run logged one of these reminders first
            report.failed.append((mail_id, str(exc)))
            continue
        why = deliver(records, mailer, mail_id, message)
        if why is not None:
            report.failed.append((mail_id, why))
            continue
        report.sent.append(mail_id)
        report.reminders += len(alone)
        report.modified += sum(line.modified for line in alone)
    return report
