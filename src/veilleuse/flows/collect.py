"""`collect_source`: the collect and index stages for one catalogue source, on its own schedule.

`veilleuse serve` deploys one per enabled source (cron from `config/sources.yaml`); the weekly
watch still collects every source itself, the store deduplicates what both bring.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow

from veilleuse.config.settings import Settings
from veilleuse.flows.artifacts import collect_source_markdown, publish
from veilleuse.flows.weekly import collect_task, index_task
from veilleuse.records.sources import SourceRun


@flow(name="collect_source", log_prints=True)
def collect_source(
    source: str, live: bool = True, source_dir: str | None = None
) -> list[SourceRun]:
    """Collect one source (over the network when `live`, else recorded files) and index it."""
    settings = Settings()
    now = datetime.now(UTC)
    run_dir = settings.data_dir / "runs" / f"{now.strftime('%Y%m%dT%H%M%S%f')}-{source}"
    retries, delay = settings.flows.retries, settings.flows.retry_delay_seconds
    staged = collect_task(settings, str(run_dir), source_dir, live, [source], None, None)
    runs = index_task.with_options(retries=retries, retry_delay_seconds=delay)(settings, staged)
    publish(
        f"collect-{slug(source)}",
        collect_source_markdown(staged, runs),
        f"Collect and index of {source}",
    )
    return runs


def slug(name: str) -> str:
    """An artifact key: lowercase letters, digits and dashes."""
    return (
        "".join(c if c.isascii() and c.isalnum() else "-" for c in name.lower()).strip("-")
        or "source"
    )
