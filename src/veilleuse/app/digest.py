"""Digest stage: compose, log as pending, send, confirm — so a crash never double-sends.

Order of operations per actor: (1) resend any digest a previous run logged but did not confirm,
as the very same message; (2) compose from matches minus every notice already logged for that
actor; (3) log the digest and its items as pending in one transaction (the unique (actor, notice)
key forbids a second announcement); (4) send; (5) mark sent. A failure at (4) leaves it pending
for the next run; a crash between (4) and (5) resends the identical message, whose Message-ID
lets the receiving side discard the copy.

A notice whose grouped bid already formed its team in the actor's territory is no longer
offered to it (`app.team_formed`, setting `digest.stop_when_team_formed`); where it still shows
(a push, a reminder) « un groupement est en cours — contact : … » replaces the suggested team.

Delivery goes through `app.delivery.deliver` (rate limit, retries of a temporary refusal, a
permanent one marks the address undeliverable); an actor whose every address is undeliverable is
skipped (`report.undeliverable`) until an officer clears it, so nothing is spent on it.

Deadline reminders due for an actor (`app.reminders.due_reminders`) ride in its digest, logged
in the digest's transaction (the reminder log's key forbids a second one); a digest with only
reminders is still sent.

Notices the watch officer pushed to an actor (`app.notice_pushes.push_notice`) come first in its
next digest, whatever their score, with the officer's note as the first reason; the matches fill
the rest up to the actor's `max_items`. A push is pending until the send log holds its actor ×
notice pair, so it is sent once; a notice already announced to the actor is not sent again.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email import message_from_string
from email.message import EmailMessage
from functools import partial
from typing import TypeVar

from veilleuse.app.context import Context
from veilleuse.app.delivery import deliver, deliverable, give_up
from veilleuse.app.digest_links import LinkMaker, digest_links
from veilleuse.app.faults import fault_point
from veilleuse.app.reminders import due_reminders
from veilleuse.app.reminders import entries as reminder_entries
from veilleuse.app.team_formed import FormedBids, formed_bids
from veilleuse.config.settings import Settings
from veilleuse.core.errors import RecordsError
from veilleuse.core.models import Actor, GroupedBidSuggestion, Match, Notice, Reason
from veilleuse.digests.compose import Digest, DigestLine, compose_digest
from veilleuse.digests.mailer import (
    MESSAGE_POLICY,
    Mailer,
    build_message,
    header_text,
    header_token,
)
from veilleuse.digests.reminders import ReminderLine
from veilleuse.digests.render import render_digest
from veilleuse.records import actors as actor_records
from veilleuse.records import delivery as delivery_records
from veilleuse.records import digest_log
from veilleuse.records import matches as match_records
from veilleuse.records import pushes as push_records
from veilleuse.records.db import Records
from veilleuse.records.pushes import Push

_Item = TypeVar("_Item", Match, Push)
log = logging.getLogger(__name__)
CANCELLED = "digest suspendu avant son envoi (désabonnement ou pause)"


@dataclass
class DigestReport:
    sent: list[str] = field(default_factory=list)
    resent: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    no_address: list[str] = field(default_factory=list)
    #: actors whose every address a mail server refused for good (until an officer clears it)
    undeliverable: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    too_soon: list[str] = field(default_factory=list)
    #: actors whose digest is paused (by their preferences or an unsubscribe link)
    paused: list[str] = field(default_factory=list)
    #: pending digests of paused actors, cancelled instead of resent
    cancelled: list[str] = field(default_factory=list)
    items: int = 0
    #: lines that were pushes of the watch officer (counted in `items` too)
    pushed: int = 0
    #: deadline reminders carried by the digests sent (not counted in `items`)
    reminders: int = 0


def min_interval(frequency: str) -> timedelta:
    """The least time between two digests of one actor: a weekly digest re-run on Thursday
    waits for next week (what it would have carried stays unsent, not lost); a digest every
    two weeks waits 13 days, so the weekly run sends it every other week."""
    if frequency == "daily":
        return timedelta(hours=20)
    return timedelta(days=13) if frequency == "biweekly" else timedelta(days=6)


def period_days(frequency: str) -> int:
    """Days a digest of this frequency covers (« repérées entre le … et le … »)."""
    return {"daily": 1, "biweekly": 14}.get(frequency, 7)


def _deliver(
    records: Records, mailer: Mailer, digest_id: str, message: EmailMessage, report: DigestReport
) -> bool:
    """Send a logged digest and record the outcome (`app.delivery.deliver`); a failure leaves
    it for the next run, a permanent refusal marks the address undeliverable."""
    why = deliver(records, mailer, digest_id, message)
    if why is not None:
        report.failed.append((digest_id, why))
        return False
    return True


def resend_unsent(
    records: Records, mailer: Mailer, report: DigestReport, paused: Collection[str] = ()
) -> None:
    """Resend every digest left pending, as it was stored; one of an actor whose digest is now
    paused (it unsubscribed meanwhile) is cancelled instead, never sent."""
    for pending in digest_log.unsent_digests(records):
        if pending.actor_id in paused:
            digest_log.mark_digest(records, pending.digest_id, "cancelled", CANCELLED)
            report.cancelled.append(pending.digest_id)
            continue
        if (why := give_up(records, mailer, pending)) is not None:
            report.failed.append((pending.digest_id, why))
            continue
        try:
            message = message_from_string(pending.message, policy=MESSAGE_POLICY)
            assert isinstance(message, EmailMessage)
            if _deliver(records, mailer, pending.digest_id, message, report):
                report.resent.append(pending.digest_id)
        except Exception as exc:  # one stored message never stops the others
            log.exception("resending digest %r failed", pending.digest_id)
            report.failed.append((header_token(pending.digest_id), _why(exc)))


def send_digests(
    records: Records,
    notices: dict[str, Notice],
    matches: list[Match],
    teams: dict[str, GroupedBidSuggestion],
    mailer: Mailer,
    settings: Settings,
    *,
    now: datetime | None = None,
    degraded_sources: list[str] | None = None,
    pushes: Sequence[Push] = (),
    reminders: Mapping[str, Sequence[ReminderLine]] | None = None,
    formed: FormedBids | None = None,
) -> DigestReport:
    """Resend what a previous run left unsent, then send each actor whose digest is due its
    digest of `matches` and `pushes` (see the module docstring); the report names every actor
    skipped and why."""
    now = now or datetime.now(UTC)
    report = DigestReport()
    actors = actor_records.list_actors(records)
    resend_unsent(records, mailer, report, {a.id for a in actors if not a.digest.enabled})
    context = _Round(
        notices=notices,
        teams=teams,
        names={a.id: a.name for a in actors},
        by_actor=_by_actor(matches),
        pushed_by_actor=_by_actor(pushes),
        reminders=reminders or {},
        formed=formed,
        degraded_sources=degraded_sources or [],
        period_end=now.date(),
        links=LinkMaker.from_settings(settings, now),
        blocked=delivery_records.blocked_addresses(records),
    )
    for actor in actors:
        if not actor.digest.enabled:
            report.paused.append(actor.id)
            continue
        try:
            _digest_for(actor, records, mailer, settings, report, now, context)
        except Exception as exc:  # one actor's failure never stops the others' digests
            log.exception("digest of actor %r failed", actor.id)
            report.failed.append((f"acteur {header_token(actor.id)}", _why(exc)))
    return report


@dataclass
class _Round:
    """What every actor's digest of one run is made from."""

    notices: dict[str, Notice]
    teams: dict[str, GroupedBidSuggestion]
    names: dict[str, str]
    by_actor: dict[str, list[Match]]
    pushed_by_actor: dict[str, list[Push]]
    reminders: Mapping[str, Sequence[ReminderLine]]
    formed: FormedBids | None
    degraded_sources: list[str]
    period_end: date
    links: LinkMaker
    blocked: set[str]


def _why(exc: BaseException) -> str:
    """A failure's reason on one line (it may quote an actor's stored name or id)."""
    return header_text(f"{type(exc).__name__}: {exc}")[:500]


def _digest_for(
    actor: Actor,
    records: Records,
    mailer: Mailer,
    settings: Settings,
    report: DigestReport,
    now: datetime,
    r: _Round,
) -> None:
    """Compose, log and send one actor's digest if it is due, recording the outcome."""
    last = digest_log.last_digest_at(records, actor.id)
    if last is not None and now - last < min_interval(actor.digest.frequency):
        report.too_soon.append(actor.id)  # a re-run this period: next digest will carry it
        return
    already = digest_log.sent_uids(records, actor.id)
    digest_id = digest_log.next_digest_id(records, actor.id, now)
    digest, pushed = _compose(
        actor,
        r.by_actor.get(actor.id, []),
        r.pushed_by_actor.get(actor.id, []),
        r.notices,
        r.teams,
        r.names,
        already,
        period_end=r.period_end,
        degraded_sources=r.degraded_sources,
        territory_name=settings.territory_name,
    )
    digest.digest_id = digest_id
    digest.reminders = list(r.reminders.get(actor.id, ()))
    if r.formed:
        _note_formed_bids(digest, r.formed)
    if not digest.lines and not digest.reminders:
        report.empty.append(actor.id)
        return
    if not actor.digest_recipients():
        report.no_address.append(actor.id)
        return
    reachable = deliverable(actor, r.blocked)
    if reachable is None:
        report.undeliverable.append(actor.id)
        return
    digest.actor = reachable  # its undeliverable addresses left out
    message = _message(digest, settings, r.links)
    if _log_and_deliver(records, mailer, actor.id, digest, message, now, report):
        report.sent.append(digest.digest_id)
        report.items += len(digest.lines)
        report.pushed += pushed
        report.reminders += len(digest.reminders)
    fault_point("digest.actor")


def _note_formed_bids(digest: Digest, formed: FormedBids) -> None:
    """Lines of a notice whose grouped bid formed its team in the actor's territory say so
    instead of suggesting a team (`app.team_formed`)."""
    for line in digest.lines:
        note = formed.note(digest.actor.id, line.notice)
        if note is not None:
            line.team, line.partner_names, line.bid_note = None, {}, note


def _by_actor(items: Iterable[_Item]) -> dict[str, list[_Item]]:
    """Matches or pushes grouped by actor id, in their order."""
    grouped: dict[str, list[_Item]] = {}
    for item in items:
        grouped.setdefault(item.actor_id, []).append(item)
    return grouped


def _message(digest: Digest, settings: Settings, maker: LinkMaker) -> EmailMessage:
    """The digest's e-mail with its signed links (each line's three, the footer's two, and
    the unsubscribe one in `List-Unsubscribe`). They are part of the message logged as
    pending, so a resent digest carries the very same links."""
    links = digest_links(maker, digest)
    return build_message(
        digest,
        render_digest(digest, links=links),
        sender=settings.mail.sender,
        reply_to=settings.mail.reply_to,
        unsubscribe_url=links.unsubscribe,
        date=maker.now,
    )


def _log_and_deliver(
    records: Records,
    mailer: Mailer,
    actor_id: str,
    digest: Digest,
    message: EmailMessage,
    now: datetime,
    report: DigestReport,
) -> bool:
    """Log the digest and its items as pending, then send it; False (in `report.failed`) when
    a concurrent run logged one of its items first or the mail server refused it."""
    uids = sorted(digest.covered_uids())
    try:
        digest_log.reserve_digest(
            records,
            digest.digest_id,
            actor_id,
            now,
            message.as_string(),
            uids,
            reminders=reminder_entries(digest.reminders),
        )
    except RecordsError as exc:  # a concurrent run logged one of these items first
        report.failed.append((digest.digest_id, str(exc)))
        return False
    fault_point("digest.logged")
    return _deliver(records, mailer, digest.digest_id, message, report)


def _compose(
    actor: Actor,
    matches: list[Match],
    pushes: list[Push],
    notices: dict[str, Notice],
    teams: dict[str, GroupedBidSuggestion],
    names: dict[str, str],
    already: set[str],
    *,
    period_end: date,
    degraded_sources: list[str],
    territory_name: str,
) -> tuple[Digest, int]:
    """The actor's digest: its pushes first (all of them), then its best matches up to its
    `max_items`; returns it with the number of pushed lines."""

    compose = partial(
        compose_digest,
        actor,
        notices=notices,
        teams=teams,
        actor_names=names,
        period_start=period_end - timedelta(days=period_days(actor.digest.frequency)),
        period_end=period_end,
        degraded_sources=degraded_sources,
        territory_name=territory_name,
        today=period_end,
    )
    pushed: list[DigestLine] = []
    if pushes:
        scored = {m.notice_uid: m for m in matches}
        lines = [_pushed_match(p, scored.get(p.notice_uid)) for p in pushes]
        first = compose(lines, already_sent=already, max_items=len(lines), max_per_buyer=len(lines))
        pushed, already = first.lines, already | first.covered_uids()
    digest = compose(
        matches, already_sent=already, max_items=max(actor.digest.max_items - len(pushed), 0)
    )
    digest.lines[:0] = pushed
    return digest, len(pushed)


def _pushed_match(push: Push, match: Match | None) -> Match:
    """The match a pushed notice is shown with: the officer's word first, then the actor's own
    reasons when the notice matched it (a notice that did not is shown with a score of 0)."""
    reason = Reason(code="pushed", params={"note": push.note}, weight=100.0)
    if match is None:
        return Match(
            actor_id=push.actor_id, notice_uid=push.notice_uid, score=0.0, reasons=[reason]
        )
    return match.model_copy(update={"reasons": [reason, *match.reasons]})


def digest_stage(
    ctx: Context, degraded_sources: list[str], now: datetime | None = None
) -> DigestReport:
    """Send each actor its digest of this period's matches (see the module docstring)."""
    records = ctx.records
    matches = match_records.load_matches(records)
    teams = match_records.load_suggestions(records)
    pushes = push_records.pending_pushes(records)
    uids = sorted({m.notice_uid for m in matches} | {p.notice_uid for p in pushes})
    notices = {n.uid: n for n in ctx.store.get_many(uids)}
    now = now or ctx.now()
    formed = formed_bids(ctx)
    if formed.stop_offering:  # no longer offered to more actors of the bid's territory
        matches = [m for m in matches if not formed.hides(m.actor_id, notices.get(m.notice_uid))]
    return send_digests(
        records,
        notices,
        matches,
        teams,
        ctx.mailer,
        ctx.settings,
        now=now,
        degraded_sources=degraded_sources,
        pushes=pushes,
        reminders=due_reminders(ctx, now, formed=formed),
        formed=formed,
    )
