"""`alerts`: send the saved-search alerts that are due, as one Prefect task.

A thin skin over `app.alerts.run_alerts`: one task (store, records and mail I/O) retried as
the `flows` settings say, returning the typed report. A retry is safe: pending alerts are
resent as they were logged and the send log forbids a second announcement.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from veilleuse.app.alerts import AlertsReport, run_alerts
from veilleuse.app.context import Context
from veilleuse.app.run_lock import exclusive
from veilleuse.config.settings import Settings
from veilleuse.flows.artifacts import alerts_markdown, publish


@task(name="send-alerts", cache_policy=NO_CACHE)
def alerts_task(settings: Settings, now: datetime) -> AlertsReport:
    with Context(settings) as ctx:
        return exclusive(ctx, "alerts", lambda: run_alerts(ctx, now), AlertsReport)


@flow(name="alerts", log_prints=True)
def alerts_flow(now: datetime | None = None) -> AlertsReport:
    """Send every user the alert of their due saved searches (daily or weekly)."""
    settings = Settings()
    if now is not None and now.tzinfo is None:
        raise ValueError("alerts_flow needs a timezone-aware `now`")
    retries, delay = settings.flows.retries, settings.flows.retry_delay_seconds
    report = alerts_task.with_options(retries=retries, retry_delay_seconds=delay)(
        settings, now or datetime.now(UTC)
    )
    publish("alerts", alerts_markdown(report), "Saved-search alerts sent")
    return report
