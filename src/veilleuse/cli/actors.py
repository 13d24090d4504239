"""`veilleuse actors import | list | show`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from veilleuse.cli.output import err, out
from veilleuse.core.errors import NotFoundError

actors_app = typer.Typer(help="Actor profiles: import, list, show.", no_args_is_help=True)


class OnSiretConflict(StrEnum):
    REFUSE = "refuse"
    MERGE = "merge"
    REPLACE = "replace"


@actors_app.command("import")
def actors_import(
    path: Annotated[Path, typer.Argument(help="YAML, CSV or XLSX file of actor profiles")],
    on_siret_conflict: Annotated[
        OnSiretConflict,
        typer.Option(
            help="A row whose SIRET belongs to a stored actor with another id: refuse the file "
            "(default), merge the row into that actor, or replace that actor's profile with it "
            "(both keep the stored id)"
        ),
    ] = OnSiretConflict.REFUSE,
) -> None:
    """Import actor profiles, updating in place by identifier; every row is checked first
    (control characters, identifier pattern, e-mails…) and nothing is written if one fails."""
    from veilleuse.app import actors
    from veilleuse.app.context import Context

    with Context() as ctx:
        report = actors.import_actors(ctx, path, on_siret_conflict.value)
    out.print(f"{report.read} profiles read: {report.created} created, {report.updated} updated")
    for new_id, old_id, how in report.conflicts:
        word = "merged into" if how == "merge" else "replaced the profile of"
        out.print(f"   {new_id}: same SIRET as {old_id}, {word} {old_id}")
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
