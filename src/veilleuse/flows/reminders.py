"""`reminders`: send the deadline reminders that cannot wait for a digest, as one Prefect task.

A thin skin over `app.reminders.send_reminders`: one task (store, records and mail I/O) retried
as the `flows` settings say, returning the typed report. A retry is safe: e-mails logged and not
sent are resent as they were, and the reminder log forbids a second reminder.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from veilleuse.app.context import Context
from veilleuse.app.reminders import RemindersReport, send_reminders
from veilleuse.app.run_lock import exclusive
from veilleuse.config.settings import Settings
from veilleuse.flows.artifacts import publish, reminders_markdown


@task(name="send-reminders", cache_policy=NO_CACHE)
def reminders_task(settings: Settings, now: datetime) -> RemindersReport:
    with Context(settings) as ctx:
        return exclusive(ctx, "reminders", lambda: send_reminders(ctx, now), RemindersReport)


@flow(name="reminders", log_prints=True)
def reminders_flow(now: datetime | None = None) -> RemindersReport:
    """Remind actors of the deadlines of the notices they said interested them (daily)."""
    settings = Settings()
    if now is not None and now.tzinfo is None:
        raise ValueError("reminders_flow needs a timezone-aware `now`")
    retries, delay = settings.flows.retries, settings.flows.retry_delay_seconds
    report = reminders_task.with_options(retries=retries, retry_delay_seconds=delay)(
        settings, now or datetime.now(UTC)
    )
    publish("reminders", reminders_markdown(report), "Deadline reminders sent")
    return report
