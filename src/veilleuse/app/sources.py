"""The source catalogue as the watch officer sees it: entries, freshness, runs, checks, dry runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from veilleuse.app.context import Context
from veilleuse.records import sources as source_records
from veilleuse.records.sources import SourceRun
from veilleuse.spiders.catalogue import SourceEntry, load_catalogue, select
from veilleuse.spiders.checks import check_sources as check_docstrings
from veilleuse.spiders.checks import sync_sources_doc
from veilleuse.spiders.collect import collect_live, live_status
from veilleuse.spiders.dedup import duplicate_rates
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
    return SourcesStatus(lines, duplicate_rates(ctx.store.iter_notices()))


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
