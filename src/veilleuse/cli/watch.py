"""The weekly watch and its stages: `demo`, `weekly`, `collect`, `embed`, `parse`."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from veilleuse.cli.output import day, err, out
from veilleuse.config.settings import Settings, get_settings

if TYPE_CHECKING:
    from veilleuse.app.context import Context
    from veilleuse.app.weekly import WeeklyReport
    from veilleuse.records.sources import SourceRun


def run_weekly(**params: Any) -> WeeklyReport:
    """Run the `weekly_watch` flow (Prefect is prepared first: quiet, offline, local state)."""
    settings = get_settings()
    from veilleuse.flows.runtime import prepare_prefect

    prepare_prefect(settings.data_dir)
    from veilleuse.flows.weekly import weekly_watch

    started = time.perf_counter()
    report = weekly_watch(**params)
    report.timings["total"] = time.perf_counter() - started
    print_weekly(report, settings)
    print_status(report)
    if report.status() == "FAILED":
        raise typer.Exit(1)  # a scheduler must see it; DEGRADED is the caller's choice
    return report


def print_status(report: WeeklyReport) -> None:
    """The run's status (COMPLETE / DEGRADED / FAILED) and one line per failure."""
    status = report.status()
    colour = {"COMPLETE": "green", "DEGRADED": "yellow"}.get(status, "red")
    out.print(f"[bold]run status[/bold]: [{colour}]{status}[/{colour}]")
    for line in report.reasons()[:20]:
        out.print(f"   {escape(line)}")


def print_weekly(report: WeeklyReport, settings: Settings) -> None:

    t = report.timings
    staged = report.staged
    out.print(
        f"[bold]1. collect[/bold] ({t['collect']:.1f} s): "
        f"{sum(s.accepted for s in staged)} notices from {len(staged)} sources, "
        f"{sum(s.rejected for s in staged)} rejected records"
    )
    for s in staged:
        for problem in s.problems[:3]:
            out.print(f"   [yellow]rejected[/yellow] {escape(str(problem))}")
    runs = report.runs
    out.print(
        f"[bold]2. index[/bold] ({t['index']:.1f} s, store: "
        f"{settings.store.resolved_backend().value}): "
        f"{sum(r.new for r in runs)} new, {sum(r.updated for r in runs)} updated, "
        f"{sum(r.unchanged for r in runs)} unchanged"
    )
    for r in runs:
        out.print(
            f"   {r.source:<20} {r.status:<9} new {r.new:>3}  updated {r.updated:>3}  "
            f"unchanged {r.unchanged:>3}  rejected {r.rejected:>2}"
        )
    e = report.embedded
    out.print(
        f"[bold]3. embed[/bold] ({t['embed']:.1f} s): {e.embedded} notices embedded "
        f"({e.model_calls} texts through the model, {e.cache_hits} from the cache)"
    )
    m = report.matched
    out.print(
        f"[bold]4. match[/bold] ({t['match']:.1f} s, {m.mode}): {m.matches} matches for "
        f"{m.actors} actors over {m.notices} open notices, "
        f"{m.suggestions} grouped-bid suggestions"
    )
    d = report.digests
    out.print(
        f"[bold]5. digest[/bold] ({t['digest']:.1f} s, mail: {settings.mail.mode.value}): "
        f"{len(d.sent)} digests sent with {d.items} items, {len(d.resent)} resent, "
        f"{len(d.empty)} actors with nothing new, "
        f"{len(d.too_soon)} already served this period, {len(d.paused)} paused, "
        f"{len(d.failed)} failed"
    )
    if settings.mail.mode.value == "outbox":
        out.print(f"   outbox: {settings.outbox_dir().resolve()}")
    for actor_id in d.no_address:
        out.print(f"   [yellow]no e-mail address[/yellow] for actor {actor_id}")
    for actor_id in d.undeliverable:
        out.print(
            f"   [yellow]undeliverable address[/yellow] for actor {actor_id} (/diffusion/adresses)"
        )
    for digest_id, why in d.failed:
        out.print(f"   [red]not sent[/red] {digest_id}: {why}")
    for digest_id in d.cancelled:
        out.print(f"   [yellow]cancelled[/yellow] {digest_id}: its actor paused its digest")
    out.print(f"total {t['total']:.1f} s")


def demo(
    source_dir: Annotated[
        Path | None, typer.Option(help="Recorded sources; default: bundled samples")
    ] = None,
) -> None:
    """Create the demo territories (Valenciennes Métropole, the MEL) and accounts of the web
    app, run the weekly watch on the bundled recorded sources and example actor profiles (teams
    are suggested within a territory), then add a few invented grouped bids and say how to log
    in. Exit status as for `weekly`: 0 COMPLETE, 3 DEGRADED, 1 FAILED."""
    from veilleuse.app.context import Context
    from veilleuse.app.demo_accounts import seed_demo
    from veilleuse.app.demo_bids import seed_demo_bids

    with Context() as ctx:
        seeded = seed_demo(ctx)
    report = run_weekly(source_dir=str(source_dir) if source_dir else None, load_demo_actors=True)
    with Context() as ctx:
        bids = seed_demo_bids(ctx)
    out.print(
        f"[bold]6. web accounts[/bold]: {len(seeded.users_created)} demo accounts created, "
        f"{seeded.actors_assigned} actors assigned to the demo territories by their commune ("
        + ", ".join(f"{name}: {n}" for name, n in seeded.actors_per_territory.items())
        + f"), {seeded.searches_created} « Acheteurs du territoire » searches saved"
    )
    out.print(
        f"[bold]7. grouped bids[/bold] (invented for the demo): {len(bids.created)} created, "
        f"{len(bids.kept)} already there"
    )
    for slot, why in bids.skipped.items():
        out.print(f"   [yellow]not created[/yellow] {slot}: {why}")
    others = [
        f"{email} ({role})" for email, role in seeded.accounts if email != seeded.officer_email
    ]
    out.print(f"   other demo accounts, same password: {', '.join(others)}")
    out.print("Web app: make web (or veilleuse web), then open " + seeded.login_url)
    out.print(f"   log in as {seeded.officer_email} with the demo password: {seeded.password}")
    if report.status() == "DEGRADED":
        raise typer.Exit(3)  # after the accounts: the demo is usable, the scheduler is told


def weekly(
    source_dir: Annotated[
        Path | None, typer.Option(help="Read recorded files instead of the live catalogue")
    ] = None,
    source: Annotated[list[str] | None, typer.Option(help="Only these catalogue sources")] = None,
    since: Annotated[str | None, typer.Option(help="Backfill from YYYY-MM-DD")] = None,
    until: Annotated[str | None, typer.Option(help="Backfill until YYYY-MM-DD")] = None,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Match every actor against every open notice, not only what changed since "
            "the last run",
        ),
    ] = False,
) -> None:
    """Run the weekly watch as a Prefect flow: live sources (or recorded files), then digests.

    Exit status: 0 when the run is COMPLETE; 3 when DEGRADED (it went on around a failed
    source, an unreadable file, or a failed actor or digest: all listed); 1 when FAILED (no
    source gave a notice, or every digest failed)."""
    report = run_weekly(
        source_dir=str(source_dir) if source_dir else None,
        live=source_dir is None,
        sources=source or None,
        since=day(since),
        until=day(until),
        full_match=full,
    )
    if report.status() == "DEGRADED":
        raise typer.Exit(3)


def collect(
    source: Annotated[list[str] | None, typer.Option(help="Only these catalogue sources")] = None,
    since: Annotated[str | None, typer.Option(help="Backfill from YYYY-MM-DD")] = None,
    until: Annotated[str | None, typer.Option(help="Backfill until YYYY-MM-DD")] = None,
    dry_run_: Annotated[
        bool, typer.Option("--dry-run", help="Fetch and parse, store nothing, move no watermark")
    ] = False,
) -> None:
    """Collect the live sources of the catalogue into the store (incremental by watermark)."""
    from veilleuse.app.context import Context
    from veilleuse.app.index import store_batches
    from veilleuse.spiders.collect import collect_live

    with Context() as ctx:
        if dry_run_:
            print_dry_run(ctx, source or None, day(since), day(until))
            return
        batches = collect_live(ctx.settings, ctx.records, source or None, day(since), day(until))
        print_runs(store_batches(ctx, dict(batches)))


def print_dry_run(ctx: Context, sources: list[str] | None, since: Any, until: Any) -> None:
    from veilleuse.app.sources import dry_run

    for line in dry_run(ctx, sources, since, until):
        out.print(
            f"{line.source:<28} {line.status:<9} {line.notices} notices, "
            f"{len(line.problems)} problems"
        )
        for problem in line.problems[:5]:
            out.print(f"   [yellow]{problem}[/yellow]")


def print_runs(runs: list[SourceRun]) -> None:

    table = Table("source", "status", "fetched", "new", "updated", "unchanged", "rejected", "s")
    for r in runs:
        table.add_row(
            r.source,
            r.status,
            str(r.fetched),
            str(r.new),
            str(r.updated),
            str(r.unchanged),
            str(r.rejected),
            f"{r.duration_s:.1f}",
        )
    out.print(table)
    for r in runs:
        for problem in r.problems[:5]:
            out.print(f"   [yellow]{r.source}[/yellow] {problem}")


def embed() -> None:
    """Embed every stored notice whose vector is missing or stale (cached by text)."""
    from veilleuse.app.context import Context
    from veilleuse.app.embed import embed_stage, pending_count

    with Context() as ctx, Progress(console=err) as progress:
        bar = progress.add_task("embedding", total=pending_count(ctx))
        report = embed_stage(ctx, progress=lambda n: progress.advance(bar, n))
    out.print(f"{report.embedded} notices embedded ({report.model_calls} through the model)")


def parse(
    path: Annotated[Path, typer.Argument(help="A recorded source file (XML, JSON, RSS/Atom)")],
    source: Annotated[
        str | None, typer.Option(help="Format or source name; detected when absent")
    ] = None,
) -> None:
    """Print the normalised notices of a recorded file as JSON lines; problems go to stderr,
    each naming the file (and the record). Exit status 1 when nothing could be read."""
    from veilleuse.app.parse import parse_file

    result = parse_file(path, source, get_settings().sources.max_payload_bytes)
    for notice in result.notices:
        sys.stdout.write(notice.model_dump_json(exclude={"raw"}) + "\n")
    for problem in result.problems:
        err.print(f"[yellow]rejected[/yellow] {escape(str(problem))}")
    if not result.notices and result.problems:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    for command in (parse, demo, weekly, collect, embed):
        app.command()(command)
