"""`veilleuse sources list | status | check`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from veilleuse.cli.output import err, out, repo_file

sources_app = typer.Typer(help="Source catalogue, status and checks.", no_args_is_help=True)


@sources_app.command("list")
def sources_list(
    include_disabled: Annotated[bool, typer.Option("--all", help="Also disabled sources")] = False,
) -> None:
    """The source catalogue: name, kind, publisher, endpoint, schedule."""
    from veilleuse.app import sources
    from veilleuse.app.context import Context

    table = Table("source", "kind", "publisher", "endpoint", "schedule", "enabled")
    with Context() as ctx:
        lines = sources.list_sources(ctx, include_disabled)
    for line in lines:
        entry = line.entry
        table.add_row(
            entry.name,
            entry.kind,
            entry.publisher or "",
            line.endpoint,
            entry.schedule or "",
            "yes" if entry.enabled else "no",
        )
    out.print(table)


@sources_app.command("status")
def sources_status(
    runs: Annotated[int, typer.Option(help="Last runs shown per source")] = 1,
) -> None:
    """Per-source freshness (watermark, last run) and the last run reports with their problems."""
    from veilleuse.app import sources
    from veilleuse.app.context import Context

    with Context() as ctx:
        status = sources.sources_status(ctx, runs)
    table = Table(
        "source",
        "status",
        "finished",
        "watermark",
        "fetched",
        "new",
        "updated",
        "unchanged",
        "rejected",
    )
    for line in status.runs:
        run = line.run
        table.add_row(
            run.source,
            run.status,
            str(run.finished_at or run.started_at)[:19],
            line.watermark or "",
            str(run.fetched),
            str(run.new),
            str(run.updated),
            str(run.unchanged),
            str(run.rejected),
        )
    out.print(table)
    for line in status.runs:
        for problem in line.run.problems[:3]:
            out.print(f"   [yellow]{line.run.source}[/yellow] {problem}")
    for (left, right), rate in sorted(status.duplicate_rates.items()):
        out.print(f"duplicates: {rate:.0%} of {left} notices are also in {right}")


@sources_app.command("check")
def sources_check(
    names: Annotated[
        list[str] | None, typer.Argument(help="Sources to fetch (default: the enabled ones)")
    ] = None,
    write: Annotated[bool, typer.Option(help="Regenerate the README source catalogue")] = False,
    fetch: Annotated[
        bool,
        typer.Option(
            help="Also dry-run one page per source: HTTP status, items, fields missing, "
            "selectors; exit 1 when one is broken or unconfigured"
        ),
    ] = False,
    include_disabled: Annotated[
        bool, typer.Option("--all", help="With --fetch: also the disabled sources")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="With --fetch: a JSON report")] = False,
) -> None:
    """Check every source's docstring (publisher, access, arguments, caveats) and the README
    table; with --fetch, whether each source answers and parses (nothing is stored)."""
    from veilleuse.app import sources
    from veilleuse.app.context import Context
    from veilleuse.cli.source_checks import print_fetch_check

    problems = sources.check_sources(repo_file("README.md"), write=write)
    for problem in problems:
        err.print(f"[red]{problem}[/red]")
    fit = True
    if fetch:
        with Context() as ctx:
            fit = print_fetch_check(ctx, names or [], include_disabled, as_json)
    if problems or not fit:
        raise typer.Exit(1)
    if not as_json:
        out.print("sources: docstrings complete, README catalogue up to date")


def register(app: typer.Typer) -> None:
    app.add_typer(sources_app, name="sources")
