"""Saved-search alerts: compose, log as pending, send, confirm — one e-mail per user per run.

The order mirrors the digests (`app.digest`): (1) resend every alert a previous run logged but
did not confirm, as the very same message (same Message-ID), and compose nothing more this run
for its user; (2) for each user, run every due saved search (daily: checked ≥ 20 h ago or never;
weekly: ≥ 6 days) restricted to the notices first stored since the search's `sent_up_to` (the
first time: since it was saved), minus those its alerts already carried; (3) log the e-mail, its
items and the searches' new `sent_up_to` as pending in one transaction — the unique (search,
notice) key makes a concurrent run's transaction fail, so it sends nothing; (4) send with the
context's mailer; (5) mark it sent. A send failure leaves it pending for (1) next run.

Choices: `sent_up_to` moves in the reservation (step 3), not after sending — the pending
message covers that window and is resent as it is, so a failed send never recomposes or loses
anything; a due search with nothing new moves it too (it was checked). The window starts an
hour before `sent_up_to` (`OVERLAP`), so a notice stored by a write that was still running
during the previous alert is not missed; the items log keeps it from being sent twice. "New"
means first stored in Veilleuse since then, not published since: a notice a source publishes
late, or that a slow source brings in days after, is still announced. Searches with words
alert on the notices that contain every one of them (text search without the any-word
fallback), whatever the page's mode: a semantic ranking always has neighbours and a new notice
often shares one common word with a query, but an alert must only carry matches.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_string
from email.message import EmailMessage

from veilleuse.app.context import Context
from veilleuse.app.digest import min_interval
from veilleuse.app.saved_searches import base_url, unsubscribe_url
from veilleuse.app.search import SearchMode, paris_today, search
from veilleuse.app.search_params import parse_query_string, search_page_url
from veilleuse.app.search_wording import describe_filters
from veilleuse.core.errors import MailError, RecordsError, ValidationError
from veilleuse.core.models import Notice
from veilleuse.digests.alerts import Alert, AlertSection, build_alert_message, render_alert
from veilleuse.digests.mailer import MESSAGE_POLICY
from veilleuse.records import saved_searches as saved
from veilleuse.records.saved_searches import Recipient, SavedSearchRecord
from veilleuse.search.store import MAX_WINDOW, Sort, SortKey

OVERLAP = timedelta(hours=1)
NEWEST_FIRST = Sort(key=SortKey.PUBLISHED, descending=True)


@dataclass
class AlertsReport:
    """What one run did; every saved search and user it looked at is in one of the lists."""

    sent: list[str] = field(default_factory=list)  # alert ids
    resent: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (alert id, why)
    items: int = 0  # notices announced by the alerts sent this run
    checked: list[int] = field(default_factory=list)  # saved searches run
    empty: list[int] = field(default_factory=list)  # run, nothing new
    not_due: list[int] = field(default_factory=list)
    invalid: list[tuple[int, str]] = field(default_factory=list)  # (search id, why)
    skipped_users: list[tuple[int, str]] = field(default_factory=list)  # (user id, why)


def is_due(search_record: SavedSearchRecord, now: datetime) -> bool:
    """Never alerted, or alerted at least the frequency's interval ago (`min_interval`)."""
    if search_record.frequency not in ("daily", "weekly"):
        return False
    last = search_record.sent_up_to
    return last is None or now - last >= min_interval(search_record.frequency)


def window_start(search_record: SavedSearchRecord) -> datetime:
    """Notices first stored from this instant on are candidates for the next alert."""
    if search_record.sent_up_to is None:
        return search_record.created_at
    return search_record.sent_up_to - OVERLAP


def _deliver(ctx: Context, alert_id: str, message: EmailMessage, report: AlertsReport) -> bool:
    """Send a logged alert and record the outcome; a failure leaves it for the next run."""
    try:
        ctx.mailer.send(message)
    except MailError as exc:
        saved.mark_alert(ctx.records, alert_id, "failed", str(exc))
        report.failed.append((alert_id, str(exc)))
        return False
    saved.mark_alert(ctx.records, alert_id, "sent")
    return True


def _resend_unsent(ctx: Context, report: AlertsReport) -> set[int]:
    """Resend pending alerts as they were; the users they belong to get nothing else now."""
    pending = saved.unsent_alerts(ctx.records)
    people = saved.recipients(ctx.records, {p.user_id for p in pending})
    waiting: set[int] = set()
    for alert in pending:
        waiting.add(alert.user_id)
        person = people.get(alert.user_id)
        if person is None or not person.active:
            report.skipped_users.append((alert.user_id, "compte désactivé : alerte en attente"))
            continue
        message = message_from_string(alert.message, policy=MESSAGE_POLICY)
        assert isinstance(message, EmailMessage)
        if _deliver(ctx, alert.alert_id, message, report):
            report.resent.append(alert.alert_id)
    return waiting


def _section(
    ctx: Context, record: SavedSearchRecord, now: datetime, report: AlertsReport
) -> AlertSection | None:
    """The new notices of one due search (None when the stored query no longer reads)."""
    try:
        query = parse_query_string(record.query)
    except ValidationError as exc:
        report.invalid.append((record.id, str(exc)))
        return None
    max_items = ctx.settings.alerts.max_items_per_search
    run = query.model_copy(
        update={
            "mode": SearchMode.TEXT if query.has_words() else query.mode,
            "all_words": True,
            "filters": query.filters.model_copy(update={"first_seen_from": window_start(record)}),
            "sort": query.sort or NEWEST_FIRST,
            "limit": min(MAX_WINDOW, max_items + 200),
            "offset": 0,
            "highlights": False,
            "with_facets": False,
        }
    )
    result = search(ctx, run, today=paris_today(now))
    announced = saved.announced_uids(ctx.records, record.id)
    fresh: list[Notice] = [h.notice for h in result.hits if h.notice.uid not in announced]
    seen_before = len(result.hits) - len(fresh)
    shown = fresh[:max_items]
    return AlertSection(
        name=record.name,
        criteria=describe_filters(run),
        search_url=search_page_url(base_url(ctx), query),
        unsubscribe_url=unsubscribe_url(ctx, record.unsubscribe_token),
        notices=shown,
        more=max(0, result.total - seen_before - len(shown)),
    )


def _alert_user(
    ctx: Context,
    person: Recipient,
    due: list[SavedSearchRecord],
    now: datetime,
    report: AlertsReport,
) -> None:
    sections: list[AlertSection] = []
    items: dict[int, list[str]] = {}
    covered: dict[int, datetime] = {}
    for record in due:
        section = _section(ctx, record, now, report)
        if section is None:
            continue
        report.checked.append(record.id)
        covered[record.id] = now
        if section.notices:
            sections.append(section)
            items[record.id] = [n.uid for n in section.notices]
        else:
            report.empty.append(record.id)
    if not sections:
        saved.move_sent_up_to(ctx.records, covered)
        return
    territories = saved.territory_names(ctx.records, {r.territory_id for r in due})
    territory = next(iter(territories.values()), ctx.settings.territory_name)
    alert_id = saved.next_alert_id(ctx.records, person.user_id, paris_today(now).isoformat())
    alert = Alert(
        alert_id=alert_id,
        recipient_name=person.name,
        recipient_email=person.email,
        base_url=base_url(ctx),
        territory_name=territory,
        sections=sections,
    )
    try:
        message = build_alert_message(
            alert,
            render_alert(alert, paris_today(now)),
            sender=ctx.settings.mail.sender,
            reply_to=ctx.settings.mail.reply_to,
            date=now,
        )
        saved.reserve_alert(
            ctx.records,
            alert_id=alert_id,
            user_id=person.user_id,
            message=message.as_string(),
            items=items,
            covered=covered,
            now=now,
        )
    except (MailError, RecordsError) as exc:  # a bad address, or a concurrent run won
        report.failed.append((alert_id, str(exc)))
        return
    if _deliver(ctx, alert_id, message, report):
        report.sent.append(alert_id)
        report.items += sum(len(uids) for uids in items.values())


def run_alerts(ctx: Context, now: datetime | None = None) -> AlertsReport:
    """Send every user the alert of their due saved searches (see the module docstring)."""
    now = now or ctx.now()
    report = AlertsReport()
    waiting = _resend_unsent(ctx, report)
    by_user: dict[int, list[SavedSearchRecord]] = defaultdict(list)
    for record in saved.alerting_searches(ctx.records):
        by_user[record.user_id].append(record)
    people = saved.recipients(ctx.records, by_user)
    for user_id, records in sorted(by_user.items()):
        due = [r for r in records if is_due(r, now)]
        report.not_due += [r.id for r in records if r not in due]
        if not due:
            continue
        person = people.get(user_id)
        if user_id in waiting:
            report.skipped_users.append((user_id, "une alerte précédente est en attente d'envoi"))
        elif person is None or not person.active:
            report.skipped_users.append((user_id, "compte désactivé"))
        elif not person.email:
            report.skipped_users.append((user_id, "pas d'adresse e-mail"))
        else:
            _alert_user(ctx, person, due, now, report)
    return report
