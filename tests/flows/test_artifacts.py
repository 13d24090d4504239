"""The flow runs' Markdown artifacts are built from the typed reports, without a server."""

from __future__ import annotations

from datetime import UTC, datetime

from veilleuse.app.alerts import AlertsReport
from veilleuse.app.collect import StagedSource
from veilleuse.app.digest import DigestReport
from veilleuse.app.embed import EmbedReport
from veilleuse.app.match import MatchRunReport
from veilleuse.app.reminders import RemindersReport
from veilleuse.app.weekly import WeeklyReport
from veilleuse.flows.artifacts import (
    alerts_markdown,
    collect_markdown,
    reminders_markdown,
    table,
    weekly_markdown,
)
from veilleuse.flows.collect import slug
from veilleuse.records.sources import SourceRun
from veilleuse.spiders.parsers.base import Problem


def _staged(source: str, problems: int) -> StagedSource:
    return StagedSource(
        source=source,
        path=f"/tmp/{source}.jsonl",
        accepted=5,
        rejected=problems,
        problems=[Problem(f"{source}#{i}", f"no deadline {i}") for i in range(problems)],
        duration_s=1.25,
        started_at="2026-11-30T10:00:00+00:00",
    )


def test_table_escapes_pipes_and_newlines() -> None:
    md = table(["a", "b"], [("x|y", "line\nbreak")])
    assert md.splitlines() == ["| a | b |", "| --- | --- |", "| x\\|y | line break |"]


def test_collect_lists_the_first_rejected_records_with_their_reason() -> None:
    md = collect_markdown([_staged("boamp", 15), _staged("ted", 0)], first=3)
    assert "| boamp | 5 | 15 | 1.2 |" in md or "| boamp | 5 | 15 | 1.3 |" in md
    assert "| boamp | boamp#2 | no deadline 2 |" in md
    assert "boamp#3" not in md
    assert "Rejected records (first 3 per source)" in md


def test_weekly_report_has_a_table_per_stage_and_names_failures() -> None:
    now = datetime(2026, 11, 30, tzinfo=UTC)
    report = WeeklyReport(
        staged=[_staged("boamp", 1)],
        runs=[
            SourceRun("boamp", "COMPLETE", now, fetched=6, new=5, rejected=1),
            SourceRun("ted", "FAILED", now, problems=["HTTP 503 from api.ted.europa.eu"]),
        ],
        embedded=EmbedReport(embedded=5, seconds=0.1, model_calls=1, cache_hits=0),
        matched=MatchRunReport(actors=3, notices=5, matches=7, suggestions=1, seconds=0.2),
        digests=DigestReport(sent=["d1", "d2"], failed=[("d3", "SMTP 451 try later")], items=4),
        timings={"collect": 1.0, "index": 0.5},
    )
    md = weekly_markdown(report)
    for heading in ("## Collect", "## Index", "## Embed", "## Match", "## Digests"):
        assert heading in md
    assert "Degraded sources: ted" in md
    assert "Run status: **DEGRADED**" in md
    assert "- source ted: nothing stored this run" in md
    assert "| ted | FAILED | 0 | 0 | 0 | 0 | 0 | HTTP 503 from api.ted.europa.eu |" in md
    assert "| sent | 2 |" in md and "| failed | 1 |" in md
    assert "| d3 | SMTP 451 try later |" in md


def test_alerts_and_reminders_count_and_name_failures() -> None:
    alerts = alerts_markdown(
        AlertsReport(sent=["a1"], failed=[("a2", "refused")], invalid=[(4, "bad CPV")])
    )
    assert "| sent | 1 |" in alerts and "| a2 | refused |" in alerts and "| 4 | bad CPV |" in alerts
    reminders = reminders_markdown(RemindersReport(sent=["r1"], reminders=2))
    assert "| reminders | 2 |" in reminders and "Failed" not in reminders


def test_artifact_keys_are_slugs() -> None:
    assert slug("Aides-Territoires") == "aides-territoires"
    assert slug("région_x") == "r-gion-x"
