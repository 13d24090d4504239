"""A flow run's report as Markdown tables, published as Prefect artifacts (readable in the UI).

The tables are built by pure functions from the typed reports (tested without a server);
`publish` is the only part that talks to Prefect. Failures name their source and reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from veilleuse.app.alerts import AlertsReport
from veilleuse.app.collect import StagedSource
from veilleuse.app.digest import DigestReport
from veilleuse.app.reminders import RemindersReport
from veilleuse.app.weekly import WeeklyReport
from veilleuse.records.sources import SourceRun

#: rejected records listed per source (the rest are counted)
FIRST_REJECTED = 10


def _cell(value: object) -> str:
    text = str(value).replace("\r", " ").replace("\n", " ").replace("|", "\\|")
    return text if len(text) <= 200 else text[:199] + "…"


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = [
        "| " + " | ".join(_cell(h) for h in headers) + " |",
        "|" + "|".join(" --- " for _ in headers) + "|",
    ]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def collect_markdown(staged: Sequence[StagedSource], first: int = FIRST_REJECTED) -> str:
    parts = ["## Collect", ""]
    if not staged:
        return "\n".join([*parts, "No source collected."])
    parts.append(
        table(
            ["source", "accepted", "rejected", "seconds"],
            [(s.source, s.accepted, s.rejected, f"{s.duration_s:.1f}") for s in staged],
        )
    )
    rejected = [(s.source, p.origin, p.reason) for s in staged for p in s.problems[:first]]
    if rejected:
        parts += ["", f"### Rejected records (first {first} per source)", ""]
        parts.append(table(["source", "record", "reason"], rejected))
    return "\n".join(parts)


def index_markdown(runs: Sequence[SourceRun]) -> str:
    parts = ["## Index", ""]
    if not runs:
        return "\n".join([*parts, "No source indexed."])
    parts.append(
        table(
            ["source", "status", "fetched", "new", "updated", "unchanged", "rejected", "problems"],
            [
                (
                    r.source,
                    r.status,
                    r.fetched,
                    r.new,
                    r.updated,
                    r.unchanged,
                    r.rejected,
                    "; ".join(r.problems[:3]) or "—",
                )
                for r in runs
            ],
        )
    )
    return "\n".join(parts)


def _failures(failed: Sequence[tuple[str, str]], what: str) -> list[str]:
    if not failed:
        return []
    return ["", f"### Failed {what}", "", table([what, "reason"], failed)]


def digest_markdown(report: DigestReport) -> str:
    rows = [
        ("sent", len(report.sent)),
        ("resent", len(report.resent)),
        ("failed", len(report.failed)),
        ("nothing new", len(report.empty)),
        ("no address", len(report.no_address)),
        ("undeliverable", len(report.undeliverable)),
        ("paused", len(report.paused)),
        ("notices announced", report.items),
    ]
    return "\n".join(
        ["## Digests", "", table(["digests", "count"], rows), *_failures(report.failed, "digest")]
    )


def weekly_markdown(report: WeeklyReport) -> str:
    degraded = report.degraded_sources()
    head = [
        "# Weekly watch",
        "",
        f"Run status: **{report.status()}**",
        "",
        *(f"- {line}" for line in report.reasons()),
        "",
        "Degraded sources: " + (", ".join(degraded) if degraded else "none"),
        "",
        table(["stage", "seconds"], [(stage, f"{s:.1f}") for stage, s in report.timings.items()]),
        "",
    ]
    stages = [
        collect_markdown(report.staged),
        index_markdown(report.runs),
        "## Embed\n\n"
        + table(
            ["embedded", "model calls", "cache hits"],
            [
                (
                    report.embedded.embedded,
                    report.embedded.model_calls,
                    report.embedded.cache_hits,
                )
            ],
        ),
        "## Match\n\n"
        + table(
            ["actors", "notices", "matches", "suggestions"],
            [
                (
                    report.matched.actors,
                    report.matched.notices,
                    report.matched.matches,
                    report.matched.suggestions,
                )
            ],
        ),
        digest_markdown(report.digests),
    ]
    return "\n".join(head) + "\n\n".join(stages) + "\n"


def alerts_markdown(report: AlertsReport) -> str:
    rows = [
        ("sent", len(report.sent)),
        ("resent", len(report.resent)),
        ("failed", len(report.failed)),
        ("saved searches run", len(report.checked)),
        ("nothing new", len(report.empty)),
        ("not due", len(report.not_due)),
        ("notices announced", report.items),
    ]
    invalid = [(str(i), why) for i, why in report.invalid]
    parts = ["# Alerts", "", table(["alerts", "count"], rows), *_failures(report.failed, "alert")]
    if invalid:
        parts += ["", "### Saved searches skipped", "", table(["saved search", "reason"], invalid)]
    return "\n".join(parts) + "\n"


def reminders_markdown(report: RemindersReport) -> str:
    rows = [
        ("e-mails sent", len(report.sent)),
        ("resent", len(report.resent)),
        ("reminders", report.reminders),
        ("of which modified", report.modified),
        ("left for the digest", len(report.deferred)),
        ("failed", len(report.failed)),
        ("no address", len(report.no_address)),
        ("undeliverable", len(report.undeliverable)),
    ]
    return (
        "\n".join(
            [
                "# Reminders",
                "",
                table(["reminders", "count"], rows),
                *_failures(report.failed, "e-mail"),
            ]
        )
        + "\n"
    )


def collect_source_markdown(staged: Sequence[StagedSource], runs: Sequence[SourceRun]) -> str:
    return "\n\n".join(["# Collect", collect_markdown(staged), index_markdown(runs)]) + "\n"


def publish(key: str, markdown: str, description: str) -> None:
    """One Markdown artifact on the current flow run (keys: lowercase letters, digits, dashes)."""
    from prefect.artifacts import create_markdown_artifact

    create_markdown_artifact(markdown=markdown, key=key, description=description)
