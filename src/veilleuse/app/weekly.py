"""The weekly watch's report: what each stage did, for the CLI, the flow and (later) the web.

The run's status, one rule for every front end (`run_status`):
- FAILED: a stage produced nothing it should have — no source gave a single notice (every
  source failed or every file was unreadable), or digests were due and every one failed;
- DEGRADED: the run went on around a failure — a source failed or its crawl stopped short, a
  whole file was unreadable, notices could not be stored, an actor's digest or a digest's
  sending failed;
- COMPLETE: otherwise. Records rejected one by one inside a readable file (a notice without
  an id, a number out of range) are reported but do not degrade the run: real sources always
  carry a few, and the rest of the file came through.
The command exits 0, 3 and 1 for them (`EXIT_CODES`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from veilleuse.app.collect import StagedSource
from veilleuse.app.digest import DigestReport
from veilleuse.app.embed import EmbedReport
from veilleuse.app.match import MatchRunReport
from veilleuse.records.sources import SourceRun


class RunStatus(StrEnum):
    COMPLETE = "COMPLETE"
    DEGRADED = "DEGRADED"
    FAILED = "FAILED"


#: exit status of `veilleuse weekly` / `veilleuse demo` for each run status
EXIT_CODES = {RunStatus.COMPLETE: 0, RunStatus.DEGRADED: 3, RunStatus.FAILED: 1}


@dataclass
class WeeklyReport:
    staged: list[StagedSource]
    runs: list[SourceRun]
    embedded: EmbedReport
    matched: MatchRunReport
    digests: DigestReport
    #: stage name → seconds
    timings: dict[str, float] = field(default_factory=dict)

    def degraded_sources(self) -> list[str]:
        return degraded(self.runs)

    def status(self) -> RunStatus:
        return run_status(self)[0]

    def reasons(self) -> list[str]:
        return run_status(self)[1]


def degraded(runs: list[SourceRun]) -> list[str]:
    """Sources whose run this week was not complete: every digest says so."""
    return [r.source for r in runs if r.status != "COMPLETE"]


def run_status(report: WeeklyReport) -> tuple[RunStatus, list[str]]:
    """The run's status and why (one line per failure: source or actor, and the reason)."""
    failed: list[str] = []
    degraded_by: list[str] = []
    staged = report.staged
    if staged and not any(s.accepted for s in staged):
        failed.append("collect: no source gave a single notice")
    for s in staged:
        for path in s.failed_files:
            reason = next((p.reason for p in s.problems if p.origin == path), "unreadable")
            degraded_by.append(f"source {s.source}: file {path} unreadable ({reason})")
        live = s.live or {}
        if live.get("failed") or (s.live is not None and not live.get("complete")):
            why = s.problems[0].reason if s.problems else "crawl incomplete"
            degraded_by.append(f"source {s.source}: {why}")
    rejected_at_collect = {s.source: s.rejected for s in staged}
    for run in report.runs:
        if run.status == "FAILED":
            degraded_by.append(f"source {run.source}: nothing stored this run")
        unstored = run.rejected - rejected_at_collect.get(run.source, run.rejected)
        if unstored > 0:  # the index stage adds the notices it could not write
            degraded_by.append(f"source {run.source}: {unstored} notices could not be stored")
    d = report.digests
    if d.failed and not d.sent and not d.resent:
        failed.append(f"digest: every digest failed ({len(d.failed)})")
    degraded_by.extend(f"digest {who}: {why}" for who, why in d.failed)
    if failed:
        return RunStatus.FAILED, failed + degraded_by
    if degraded_by:
        return RunStatus.DEGRADED, _unique(degraded_by)
    return RunStatus.COMPLETE, []


def _unique(lines: list[str]) -> list[str]:
    return list(dict.fromkeys(lines))
