"""`veilleuse search`: the shared filter language over the configured store."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.table import Table

from veilleuse.cli.output import day, out
from veilleuse.core.models import NoticeKind, NoticeStatus, SearchMode


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
) -> None:
    """Search the configured store (embedded or Elasticsearch) with the shared filter language."""
    from veilleuse.app.context import Context
    from veilleuse.app.search import SearchQuery, search
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
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    table = Table("score", "uid", "title", "deadline", "dép.")
    for hit in report.hits:
        n = hit.notice
        table.add_row(
            f"{hit.score:.3f}",
            n.uid,
            n.title[:70],
            str(n.deadline or ""),
            ",".join(n.all_departments()[:3]),
        )
    out.print(f"{report.total} results ({mode.value})")
    out.print(table)


def register(app: typer.Typer) -> None:
    app.command("search")(search_cmd)
