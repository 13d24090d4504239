"""The `veilleuse` command line. Each command is a thin shell over library functions."""

from __future__ import annotations

import json
import sys
import time
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from veilleuse.config.settings import Settings, describe, get_settings
from veilleuse.core.errors import VeilleuseError
from veilleuse.core.models import NoticeStatus

app = typer.Typer(
    help="Veilleuse: veille économique et groupements pour l'ESS.", no_args_is_help=True
)
actors_app = typer.Typer(help="Actor profiles: import, list, show.", no_args_is_help=True)
index_app = typer.Typer(help="Notice index administration.", no_args_is_help=True)
sources_app = typer.Typer(help="Source catalogue, status and checks.", no_args_is_help=True)
app.add_typer(actors_app, name="actors")
app.add_typer(index_app, name="index")
app.add_typer(sources_app, name="sources")
# reports are read in terminals and in CI logs: never wrap a report line at 80 columns
out = Console(width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 140)


def main() -> None:
    try:
        app()
    except VeilleuseError as exc:
        err.print(f"[red]error:[/red] {exc}")
        sys.exit(2)


# --------------------------------------------------------------------------- settings, parse


@app.command("settings")
def settings_cmd() -> None:
    """Print every setting: environment name, current value, default and help."""
    table = Table("setting", "value", "default", "help", show_lines=False)
    for name, value, default, help_text in describe(get_settings()):
        table.add_row(name, value, default, help_text)
    out.print(table)


@app.command()
def parse(
    path: Annotated[Path, typer.Argument(help="A recorded source file (XML, JSON, RSS/Atom)")],
    source: Annotated[
        str | None, typer.Option(help="Format or source name; detected when absent")
    ] = None,
) -> None:
    """Print the normalised notices of a recorded file as JSON lines; problems go to stderr."""
    from veilleuse.spiders.parsers import parse_path

    result = parse_path(path, fmt=source)
    for notice in result.notices:
        sys.stdout.write(notice.model_dump_json(exclude={"raw"}) + "\n")
    for problem in result.problems:
        err.print(f"[yellow]rejected[/yellow] {problem}")
    if not result.notices and result.problems:
        raise typer.Exit(1)


# --------------------------------------------------------------------------- the weekly watch


def _run_weekly(**params: Any) -> dict[str, Any]:
    settings = get_settings()
    from veilleuse.flows.runtime import prepare_prefect

    prepare_prefect(settings.data_dir)
    from veilleuse.flows.weekly import weekly_watch

    started = time.perf_counter()
    result = weekly_watch(**params)
    result["timings"]["total"] = time.perf_counter() - started
    _print_weekly(result, settings)
    return result


def _print_weekly(result: dict[str, Any], settings: Settings) -> None:
    t = result["timings"]
    staged = result["staged"]
    out.print(
        f"[bold]1. collect[/bold] ({t['collect']:.1f} s): "
        f"{sum(s.accepted for s in staged)} notices from {len(staged)} sources, "
        f"{sum(s.rejected for s in staged)} rejected records"
    )
    for s in staged:
        for problem in s.problems[:3]:
            out.print(f"   [yellow]rejected[/yellow] {problem}")
    runs = result["runs"]
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
    e = result["embedded"]
    out.print(
        f"[bold]3. embed[/bold] ({t['embed']:.1f} s): {e.embedded} notices embedded "
        f"({e.model_calls} texts through the model, {e.cache_hits} from the cache)"
    )
    m = result["matched"]
    out.print(
        f"[bold]4. match[/bold] ({t['match']:.1f} s): {m['matches']} matches for "
        f"{m['actors']} actors over {m['notices']} open notices, "
        f"{m['suggestions']} grouped-bid suggestions"
    )
    d = result["digests"]
    out.print(
        f"[bold]5. digest[/bold] ({t['digest']:.1f} s, mail: {settings.mail.mode.value}): "
        f"{len(d['sent'])} digests sent with {d['items']} items, {len(d['resent'])} resent, "
        f"{len(d['empty'])} actors with nothing new, "
        f"{len(d['too_soon'])} already served this period, {len(d['failed'])} failed"
    )
    if settings.mail.mode.value == "outbox":
        out.print(f"   outbox: {settings.outbox_dir().resolve()}")
    for actor_id in d["no_address"]:
        out.print(f"   [yellow]no e-mail address[/yellow] for actor {actor_id}")
    for digest_id, why in d["failed"]:
        out.print(f"   [red]not sent[/red] {digest_id}: {why}")
    out.print(f"total {t['total']:.1f} s")


@app.command()
def demo(
    source_dir: Annotated[
        Path | None, typer.Option(help="Recorded sources; default: bundled samples")
    ] = None,
) -> None:
    """Run the weekly watch on the bundled recorded sources and example actor profiles."""
    _run_weekly(source_dir=str(source_dir) if source_dir else None, load_demo_actors=True)


@app.command()
def weekly(
    source_dir: Annotated[
        Path | None, typer.Option(help="Read recorded files instead of the live catalogue")
    ] = None,
    source: Annotated[list[str] | None, typer.Option(help="Only these catalogue sources")] = None,
    since: Annotated[str | None, typer.Option(help="Backfill from YYYY-MM-DD")] = None,
    until: Annotated[str | None, typer.Option(help="Backfill until YYYY-MM-DD")] = None,
) -> None:
    """Run the weekly watch as a Prefect flow: live sources (or recorded files), then digests."""
    _run_weekly(
        source_dir=str(source_dir) if source_dir else None,
        live=source_dir is None,
        sources=source or None,
        since=_day(since),
        until=_day(until),
    )


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError as exc:
        raise typer.BadParameter(f"not a date (YYYY-MM-DD): {value!r}") from exc


@app.command()
def collect(
    source: Annotated[list[str] | None, typer.Option(help="Only these catalogue sources")] = None,
    since: Annotated[str | None, typer.Option(help="Backfill from YYYY-MM-DD")] = None,
    until: Annotated[str | None, typer.Option(help="Backfill until YYYY-MM-DD")] = None,
    dry_run: Annotated[
        bool, typer.Option(help="Fetch and parse, store nothing, move no watermark")
    ] = False,
) -> None:
    """Collect the live sources of the catalogue into the store (incremental by watermark)."""
    from veilleuse.records.db import Records
    from veilleuse.spiders.collect import collect_live, live_status, store_batches

    settings = get_settings()
    records = Records(settings.records_url())
    batches = collect_live(settings, records, source or None, _day(since), _day(until), dry_run)
    if dry_run:
        for name, batch in sorted(batches.items()):
            out.print(
                f"{name:<28} {live_status(batch):<9} {len(batch.notices)} notices, "
                f"{len(batch.problems)} problems"
            )
            for problem in batch.problems[:5]:
                out.print(f"   [yellow]{problem}[/yellow]")
        return
    _print_runs(store_batches(settings, records, batches))


def _print_runs(runs: list[Any]) -> None:
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


# --------------------------------------------------------------------------- search


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Words to look for")],
    kind: Annotated[list[str] | None, typer.Option(help="tender, award, pin, funding_call")] = None,
    source: Annotated[list[str] | None, typer.Option(help="Source name, e.g. boamp")] = None,
    department: Annotated[
        list[str] | None, typer.Option("--department", "--dep", help="Département code")
    ] = None,
    cpv: Annotated[list[str] | None, typer.Option(help="CPV prefix, e.g. 45 or 9091")] = None,
    reserved: Annotated[
        bool | None,
        typer.Option("--reserved/--not-reserved", help="Reserved contracts only / excluded"),
    ] = None,
    deadline_from: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    deadline_to: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Open notices only")] = False,
    mode: Annotated[str, typer.Option(help="text, vector or hybrid")] = "hybrid",
    limit: int = 10,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON notice per line with its score")
    ] = False,
) -> None:
    """Search the configured store (embedded or Elasticsearch) with the shared filter language."""
    from veilleuse.search.factory import open_store
    from veilleuse.search.store import Filters

    settings = get_settings()
    filters = Filters(
        kinds=kind or [],
        sources=source or [],
        departments=department or [],
        cpv_prefixes=cpv or [],
        reserved=reserved,
        deadline_from=date.fromisoformat(deadline_from) if deadline_from else None,
        deadline_to=date.fromisoformat(deadline_to) if deadline_to else None,
        statuses=[NoticeStatus.OPEN] if open_only else [],
    )
    store = open_store(settings)
    try:
        if mode == "text":
            result = store.search_text(query, filters, limit=limit)
        else:
            from veilleuse.search.embeddings import make_embedder

            embedder = make_embedder(settings.embedding, settings.embedding_cache_path())
            vector = embedder.encode([query])[0]
            result = (
                store.search_vector(vector, filters, limit=limit)
                if mode == "vector"
                else store.search_hybrid(query, vector, filters, limit=limit)
            )
    finally:
        store.close()
    if as_json:
        for hit in result.hits:
            row = hit.notice.model_dump(mode="json", exclude={"raw"})
            row["score"] = hit.score
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    table = Table("score", "uid", "title", "deadline", "dép.")
    for hit in result.hits:
        n = hit.notice
        table.add_row(
            f"{hit.score:.3f}",
            n.uid,
            n.title[:70],
            str(n.deadline or ""),
            ",".join(n.all_departments()[:3]),
        )
    out.print(f"{result.total} results ({mode})")
    out.print(table)


# --------------------------------------------------------------------------- actors


@actors_app.command("import")
def actors_import(
    path: Annotated[Path, typer.Argument(help="YAML or CSV file of actor profiles")],
) -> None:
    """Import actor profiles, updating in place by identifier or SIRET."""
    from veilleuse.core.actors_io import load_actors
    from veilleuse.core.models import NoticeKind
    from veilleuse.records import repository as repo
    from veilleuse.records.db import Records
    from veilleuse.search.cold_start import with_suggested_cpv
    from veilleuse.search.factory import open_store
    from veilleuse.search.store import Filters

    settings = get_settings()
    actors = load_actors(path)
    if any(not a.cpv_interests for a in actors):
        store = open_store(settings)
        try:
            awards = list(store.iter_notices(Filters(kinds=[NoticeKind.AWARD])))
        finally:
            store.close()
        actors = [with_suggested_cpv(a, awards) for a in actors]
    created, updated = repo.upsert_actors(Records(settings.records_url()), actors)
    out.print(f"{len(actors)} profiles read: {created} created, {updated} updated")
    for actor in actors:
        suggested = [c.code for c in actor.cpv_interests if not c.declared]
        if suggested:
            out.print(f"   {actor.id}: CPV codes suggested (to confirm): {', '.join(suggested)}")


@actors_app.command("list")
def actors_list() -> None:
    """List actor profiles."""
    from veilleuse.records import repository as repo
    from veilleuse.records.db import Records

    table = Table("id", "name", "family", "départements", "CPV")
    for a in repo.list_actors(Records(get_settings().records_url())):
        table.add_row(
            a.id,
            a.name,
            a.family.value,
            ",".join(a.territory.departments),
            str(len(a.cpv_interests)),
        )
    out.print(table)


@actors_app.command("show")
def actors_show(actor_id: str) -> None:
    """Show one actor profile as JSON."""
    from veilleuse.records import repository as repo
    from veilleuse.records.db import Records

    actor = repo.get_actor(Records(get_settings().records_url()), actor_id)
    if actor is None:
        err.print(f"no actor {actor_id!r}")
        raise typer.Exit(1)
    out.print_json(actor.model_dump_json())


# --------------------------------------------------------------------------- embed, index


@app.command()
def embed() -> None:
    """Embed every stored notice whose vector is missing or stale (cached by text)."""
    from veilleuse.search.embeddings import make_embedder
    from veilleuse.search.factory import open_store
    from veilleuse.search.indexing import embed_missing

    settings = get_settings()
    store = open_store(settings)
    embedder = make_embedder(settings.embedding, settings.embedding_cache_path())
    todo = len(store.uids_without_vector(embedder.name))
    with Progress(console=err) as progress:
        bar = progress.add_task("embedding", total=todo)
        count = embed_missing(store, embedder, progress=lambda n: progress.advance(bar, n))
    store.close()
    out.print(f"{count} notices embedded ({embedder.misses} through the model)")


@app.command("tune-weights")
def tune_weights() -> None:
    """Propose matching weights from the feedback given on matches (printed, not applied)."""
    from datetime import UTC, datetime

    from veilleuse.records import repository as repo
    from veilleuse.records.db import Records
    from veilleuse.search.embeddings import make_embedder
    from veilleuse.search.factory import open_store
    from veilleuse.search.matching import prepare_inputs
    from veilleuse.search.tuning import component_rows, feedback_labels, tune

    settings = get_settings()
    records = Records(settings.records_url())
    labels = feedback_labels(repo.feedback_verdicts(records))
    actors = [a for a in repo.list_actors(records) if a.id in {p[0] for p in labels}]
    store = open_store(settings)
    try:
        notices = store.get_many(sorted({p[1] for p in labels}))
    finally:
        store.close()
    embedder = make_embedder(settings.embedding, settings.embedding_cache_path())
    inputs = prepare_inputs(actors, notices, embedder)
    rows, relevant = component_rows(inputs, labels, settings.matching, datetime.now(UTC).date())
    result = tune(rows, relevant, settings.matching)
    if result is None:
        out.print(
            f"not enough feedback yet: {int(relevant.sum())} relevant and "
            f"{int((~relevant).sum())} not relevant scored pairs (4 of each needed)"
        )
        raise typer.Exit(1)
    out.print(
        f"{result.examples} pairs with feedback ({result.relevant} relevant); separation "
        f"(AUC) {result.auc_current:.3f} with the current weights, "
        f"{result.auc_tuned:.3f} with:"
    )
    for line in result.env_lines():
        out.print(f"   {line}")


@app.command("eval")
def eval_cmd(
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object with every system's metrics")
    ] = False,
) -> None:
    """Measure matching on the labelled set: CPV-only, keyword-only, embeddings-only and hybrid."""
    from veilleuse.search.evaluation import run_eval

    raise typer.Exit(run_eval(as_json))


@index_app.command("migrate")
def index_migrate() -> None:
    """Build a new index version with the current mappings, reindex, and swap the alias."""
    from veilleuse.search.factory import open_store

    store = open_store(get_settings())
    migrate = getattr(store, "migrate", None)
    if migrate is None:
        out.print("the embedded store has no index versions: nothing to migrate")
        return
    out.print(str(migrate()))


# --------------------------------------------------------------------------- sources


@sources_app.command("status")
def sources_status(
    runs: Annotated[int, typer.Option(help="Last runs shown per source")] = 1,
) -> None:
    """Per-source freshness (watermark, last run) and the last run reports with their problems."""
    from veilleuse.records import repository as repo
    from veilleuse.records.db import Records

    records = Records(get_settings().records_url())
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
    history = repo.last_source_runs(records, limit_per_source=runs)
    for run in history:
        state = repo.get_source_state(records, run.source)
        table.add_row(
            run.source,
            run.status,
            str(run.finished_at or run.started_at)[:19],
            state.get("watermark") or "",
            str(run.fetched),
            str(run.new),
            str(run.updated),
            str(run.unchanged),
            str(run.rejected),
        )
    out.print(table)
    for run in history:
        for problem in run.problems[:3]:
            out.print(f"   [yellow]{run.source}[/yellow] {problem}")
    from veilleuse.search.factory import open_store
    from veilleuse.spiders.dedup import duplicate_rates

    store = open_store(get_settings())
    try:
        rates = duplicate_rates(store.iter_notices())
    finally:
        store.close()
    for (left, right), rate in sorted(rates.items()):
        out.print(f"duplicates: {rate:.0%} of {left} notices are also in {right}")


@app.command()
def feedback(
    actor_id: Annotated[str, typer.Argument(help="Actor identifier")],
    notice_uid: Annotated[str, typer.Argument(help="Notice uid, e.g. boamp:16-186394")],
    relevant: Annotated[bool, typer.Option("--relevant/--not-relevant", help="Verdict")] = False,
    reason: Annotated[str | None, typer.Option(help="Why, in a few words")] = None,
    by: Annotated[str | None, typer.Option(help="Who says so (watch officer, actor)")] = None,
    suggestion: Annotated[
        bool, typer.Option(help="About the grouped-bid suggestion, not the match")
    ] = False,
) -> None:
    """Record that a match (or a grouped-bid suggestion) is relevant or not; rejected ones are not shown again."""
    from veilleuse.records import repository as repo
    from veilleuse.records.db import Records

    repo.add_feedback(
        Records(get_settings().records_url()),
        actor_id,
        notice_uid,
        relevant,
        reason=reason,
        by=by,
        target="suggestion" if suggestion else "match",
    )
    verdict = "relevant" if relevant else "not relevant (will not be shown again)"
    out.print(f"{actor_id} × {notice_uid}: {verdict}")


@sources_app.command("list")
def sources_list(
    include_disabled: Annotated[bool, typer.Option("--all", help="Also disabled sources")] = False,
) -> None:
    """The source catalogue: name, kind, publisher, endpoint, schedule."""
    from veilleuse.spiders.catalogue import load_catalogue, select

    settings = get_settings()
    table = Table("source", "kind", "publisher", "endpoint", "schedule", "enabled")
    for entry in select(load_catalogue(), [], include_disabled=include_disabled):
        table.add_row(
            entry.name,
            entry.kind,
            entry.publisher or "",
            entry.resolved_endpoint(settings),
            entry.schedule or "",
            "yes" if entry.enabled else "no",
        )
    out.print(table)


@sources_app.command("check")
def sources_check(
    write: Annotated[bool, typer.Option(help="Regenerate the README source catalogue")] = False,
    fetch: Annotated[
        bool, typer.Option(help="Also fetch one page per enabled source (dry run)")
    ] = False,
) -> None:
    """Check every source's docstring (publisher, access, arguments, caveats) and the README table."""
    from veilleuse.spiders.checks import check_sources, sync_sources_doc

    problems = check_sources()
    readme = _repo_file("README.md")
    if not sync_sources_doc(readme, check=not write):
        problems.append(
            f"{readme}: source catalogue out of date (run `veilleuse sources check --write`)"
        )
    for problem in problems:
        err.print(f"[red]{problem}[/red]")
    if fetch:
        collect(source=None, since=None, until=None, dry_run=True)
    if problems:
        raise typer.Exit(1)
    out.print("sources: docstrings complete, README catalogue up to date")


def _repo_file(relative: str) -> Path:
    return Path(__file__).resolve().parents[2] / relative


if __name__ == "__main__":  # pragma: no cover
    main()
