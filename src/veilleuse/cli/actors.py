"""`veilleuse actors import | list | show`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from veilleuse.cli.output import err, out
from veilleuse.core.errors import NotFoundError

actors_app = typer.Typer(help="Actor profiles: import, list, show.", no_args_is_help=True)


@actors_app.command("import")
def actors_import(
    path: Annotated[Path, typer.Argument(help="YAML or CSV file of actor profiles")],
) -> None:
    """Import actor profiles, updating in place by identifier or SIRET."""
    from veilleuse.app import actors
    from veilleuse.app.context import Context

    with Context() as ctx:
        report = actors.import_actors(ctx, path)
    out.print(f"{report.read} profiles read: {report.created} created, {report.updated} updated")
    for actor_id, codes in report.suggested.items():
        out.print(f"   {actor_id}: CPV codes suggested (to confirm): {', '.join(codes)}")


@actors_app.command("list")
def actors_list() -> None:
    """List actor profiles."""
    from veilleuse.app import actors
    from veilleuse.app.context import Context

    table = Table("id", "name", "family", "départements", "CPV")
    with Context() as ctx:
        for a in actors.list_actors(ctx):
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
    from veilleuse.app import actors
    from veilleuse.app.context import Context

    with Context() as ctx:
        try:
            actor = actors.get_actor(ctx, actor_id)
        except NotFoundError:
            err.print(f"no actor {actor_id!r}")
            raise typer.Exit(1) from None
    out.print_json(actor.model_dump_json())


def register(app: typer.Typer) -> None:
    app.add_typer(actors_app, name="actors")
