"""The source catalogue as the watch officer sees it: entries, freshness, runs, checks, dry runs."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from veilleuse.app.context import Context
from veilleuse.records import sources as source_records
from veilleuse.records.sources import SourceRun
from veilleuse.spiders.catalogue import SourceEntry, load_catalogue, select
from veilleuse.spiders.checks import check_sources as check_docstrings
from veilleuse.spiders.checks import sync_sources_doc
from veilleuse.spiders.collect import collect_live, live_status
from veilleuse.spiders.parsers.base import Problem


@dataclass
class CatalogueLine:
    entry: SourceEntry
    endpoint: str


def list_sources(ctx: Context, include_disabled: bool = False) -> list[CatalogueLine]:
    """Catalogue entries with their endpoint resolved from settings (secrets are not shown)."""
    entries = select(load_catalogue(), [], include_disabled=include_disabled)
    return [CatalogueLine(e, e.resolved_endpoint(ctx.settings)) for e in entries]


@dataclass
class SourceFreshness:
    run: SourceRun
    watermark: str | None


@dataclass
class SourcesStatus:
    runs: list[SourceFreshness]
    #: (source, other source) → share of the first's notices also published by the second
    duplicate_rates: dict[tuple[str, str], float] = field(default_factory=dict)


def sources_status(ctx: Context, runs_per_source: int = 1) -> SourcesStatus:
    """The last runs of every source with its watermark, and cross-source duplicate rates."""
    records = ctx.records
    history = source_records.last_source_runs(records, limit_per_source=runs_per_source)
    states = source_records.all_source_states(records)
    lines = [SourceFreshness(r, states.get(r.source, {}).get("watermark")) for r in history]
    return SourcesStatus(lines, source_records.duplicate_rates(records))


RUN_STATUS_LABELS = {"COMPLETE": "complète", "DEGRADED": "dégradée", "FAILED": "en échec"}


@dataclass
class SourceOverview:
    """One source as the sources page shows it (a catalogue entry, or a source that ran)."""

    name: str
    publisher: str | None
    enabled: bool
    #: newest first; each run's `problems` are its rejected records with their reasons
    runs: list[SourceRun]
    watermark: str | None
    last_complete: datetime | None
    #: time since the last COMPLETE run; None when the source never completed one
    age: timedelta | None


@dataclass
class SourcesOverview:
    sources: list[SourceOverview]
    #: (source, other source) → share of the first's notices also published by the second
    duplicate_rates: dict[tuple[str, str], float]
    at: datetime


def _aware(run: SourceRun) -> SourceRun:
    """SQLite gives instants without their offset: they are UTC."""
    started = run.started_at if run.started_at.tzinfo else run.started_at.replace(tzinfo=UTC)
    finished = run.finished_at
    if finished is not None and finished.tzinfo is None:
        finished = finished.replace(tzinfo=UTC)
    return replace(run, started_at=started, finished_at=finished)


def sources_overview(ctx: Context, runs_per_source: int = 5) -> SourcesOverview:
    """Every catalogue source (disabled ones too) and every source that ran: its last runs,
    watermark, freshness (time since its last complete run), and cross-source duplicate rates.
    Sources that run come first; disabled ones that never ran close the list."""
    records = ctx.records
    now = ctx.now()
    entries = {e.name: e for e in select(load_catalogue(), [], include_disabled=True)}
    runs: dict[str, list[SourceRun]] = {}
    for run in source_records.last_source_runs(records, limit_per_source=runs_per_source):
        runs.setdefault(run.source, []).append(_aware(run))
    states = source_records.all_source_states(records)
    complete = source_records.last_complete_runs(records)
    lines = []
    for name in sorted(entries.keys() | runs.keys()):
        entry = entries.get(name)
        last = complete.get(name)
        lines.append(
            SourceOverview(
                name=name,
                publisher=entry.publisher if entry else None,
                enabled=entry.enabled if entry else False,
                runs=runs.get(name, []),
                watermark=states.get(name, {}).get("watermark"),
                last_complete=last,
                age=now - last if last else None,
            )
        )
    lines.sort(key=lambda line: (not line.enabled and not line.runs, line.name))
    return SourcesOverview(lines, source_records.duplicate_rates(records), now)


def format_age_fr(age: timedelta | None) -> str:
    """'il y a 3 h', 'il y a 2 j', 'il y a 12 min'; 'jamais' without a complete run."""
    if age is None:
        return "jamais"
    minutes = max(int(age.total_seconds() // 60), 0)
    if minutes < 60:
        return f"il y a {minutes}\u00a0min"
    if minutes < 48 * 60:
        return f"il y a {minutes // 60}\u00a0h"
    return f"il y a {minutes // (24 * 60)}\u00a0j"


@dataclass
class DryRunLine:
    source: str
    status: str
    notices: int
    problems: list[Problem]


def dry_run(
    ctx: Context,
    sources: list[str] | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[DryRunLine]:
    """Fetch and parse the live sources; store nothing, move no watermark."""
    batches = collect_live(ctx.settings, ctx.records, sources, since, until, dry_run=True)
    return [
        DryRunLine(name, live_status(b), len(b.notices), list(b.problems))
        for name, b in sorted(batches.items())
    ]


def check_sources(readme: Path, write: bool = False) -> list[str]:
    """Docstring conventions of every source module and the README catalogue table.

    With `write`, the README table is regenerated instead of reported as stale."""
    problems = check_docstrings()
    if not sync_sources_doc(readme, check=not write):
        problems.append(
            f"{readme}: source catalogue out of date (run `veilleuse sources check --write`)"
        )
    return problems
