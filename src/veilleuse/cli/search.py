"""`veilleuse search`: the shared filter language over the configured store."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from veilleuse.cli.output import day, out
from veilleuse.core.search_mode import SearchMode


def search_cmd(
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
    mode: Annotated[SearchMode, typer.Option(help="text, vector or hybrid")] = SearchMode.HYBRID,
    limit: int = 10,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON notice per line with its score")
    ] = False,
    show_why: Annotated[
        bool,
        typer.Option(
            "--explain", help="Say why each result came up (words, synonyms, CPV, meaning)"
        ),
    ] = False,
) -> None:
    """Search the configured store (embedded or Elasticsearch) with the shared filter language."""
    from veilleuse.app.context import Context
    from veilleuse.app.search import SearchQuery, search
    from veilleuse.app.search_explain import explain, relevance_label
    from veilleuse.core.models import NoticeKind, NoticeStatus
    from veilleuse.search.store import Filters

    filters = Filters(
        kinds=[NoticeKind(k) for k in kind or []],
        sources=source or [],
        departments=department or [],
        cpv_prefixes=cpv or [],
        reserved=reserved,
        deadline_from=day(deadline_from),
        deadline_to=day(deadline_to),
        statuses=[NoticeStatus.OPEN] if open_only else [],
    )
    with Context() as ctx:
        report = search(ctx, SearchQuery(text=query, filters=filters, mode=mode, limit=limit))
    if as_json:
        for hit in report.hits:
            row = hit.notice.model_dump(mode="json", exclude={"raw"})
            row["score"] = hit.score
            row["relevance"] = hit.relevance
            row["reasons"] = explain(query, hit)
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    table = Table("pertinence", "uid", "title", "deadline", "dép.", show_lines=show_why)
    for hit in report.hits:
        n = hit.notice
        title = n.title[:70]
        if show_why:
            title += "".join(f"\n  · {reason}" for reason in explain(query, hit))
        table.add_row(
            f"{hit.relevance} {relevance_label(hit.relevance)}"
            if hit.relevance is not None
            else "",
            n.uid,
            title,
            str(n.deadline or ""),
            ",".join(n.all_departments()[:3]),
        )
    out.print(f"{report.total} results ({mode.value})")
    out.print(table)


def eval_search_cmd(
    queries: Annotated[
        Path | None,
        typer.Option(
            help="A labelled query set in the documented format; default: tests/eval/search/"
        ),
    ] = None,
    es_url: Annotated[
        str | None,
        typer.Option(help="Also measure an Elasticsearch node (a throwaway index is created)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object")] = False,
) -> None:
    """Measure search on labelled queries: text, vector and hybrid, on each store."""
    from veilleuse.app.context import Context
    from veilleuse.app.search_evaluation import (
        format_table,
        run_search_evaluation,
        store_openers,
    )

    with Context() as ctx:
        report = run_search_evaluation(ctx, store_openers(ctx.settings, es_url), queries)
    print(json.dumps(report.as_dict()) if as_json else format_table(report))


def register(app: typer.Typer) -> None:
    app.command("search")(search_cmd)
    app.command("eval-search")(eval_search_cmd)
