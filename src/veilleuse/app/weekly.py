"""The weekly watch's report: what each stage did, for the CLI, the flow and (later) the web."""

from __future__ import annotations

from dataclasses import dataclass, field

from veilleuse.app.collect import StagedSource
from veilleuse.app.digest import DigestReport
from veilleuse.app.embed import EmbedReport
from veilleuse.app.match import MatchRunReport
from veilleuse.records.sources import SourceRun


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


def degraded(runs: list[SourceRun]) -> list[str]:
    """Sources whose run this week was not complete: every digest says so."""
    return [r.source for r in runs if r.status != "COMPLETE"]
