"""The report of `veilleuse sources check --fetch`: a table (or JSON) and the exit status.

Only rendering lives here; the dry run and the verdicts are `veilleuse.app.source_checks`
(imported when the command runs, so that `veilleuse --help` stays free of Scrapy).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape
from rich.table import Table

from veilleuse.cli.output import out

if TYPE_CHECKING:
    from veilleuse.app.context import Context
    from veilleuse.app.source_checks import FetchCheck

VERDICT_STYLES = {
    "ok": "green",
    "degraded": "yellow",
    "empty": "yellow",
    "broken": "red",
    "unconfigured": "red",
}


def missing_text(line: FetchCheck) -> str:
    """'deadline 3/10, funder 10/10' — each field missing somewhere, over the items read."""
    return ", ".join(f"{name} {count}/{line.items}" for name, count in line.missing.items())


def check_table(lines: list[FetchCheck]) -> Table:
    table = Table("source", "kind", "HTTP", "items", "fields missing", "selectors", "verdict")
    for line in lines:
        style = VERDICT_STYLES.get(line.verdict, "")
        table.add_row(
            line.source,
            line.kind,
            str(line.http_status) if line.http_status is not None else "—",
            str(line.items),
            missing_text(line) or "—",
            line.selectors,
            f"[{style}]{line.verdict}[/{style}]" if style else line.verdict,
        )
    return table


def check_document(lines: list[FetchCheck]) -> dict[str, Any]:
    """The JSON report: every source's check, and the names of those not fit to enable."""
    from veilleuse.app.source_checks import failing

    return {
        "sources": [line.as_dict() for line in lines],
        "failing": [line.source for line in failing(lines)],
    }


def print_fetch_check(
    ctx: Context, names: list[str], include_disabled: bool, as_json: bool
) -> bool:
    """Run the dry run, print it; True when every checked source may be enabled."""
    from veilleuse.app.source_checks import failing, fetch_check

    lines = fetch_check(ctx, names or None, include_disabled=include_disabled)
    if as_json:
        typer.echo(json.dumps(check_document(lines), ensure_ascii=False, indent=2))
        return not failing(lines)
    out.print(check_table(lines))
    for line in lines:
        for reason in line.reasons[:3]:
            out.print(f"   [yellow]{line.source}[/yellow] {escape(reason)}")
    bad = failing(lines)
    summary = f"{len(lines)} source(s) checked, {len(bad)} not fit to enable"
    out.print(summary + (f": {', '.join(line.source for line in bad)}" if bad else ""))
    return not bad
