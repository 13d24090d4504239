"""`veilleuse territories list | show | import`: the territories a deployment serves.

A territory is its communes (INSEE codes), EPCI (SIREN) and/or départements, resolved against
the administrative division shipped in `config/data/geo/`. Actors belong to one territory;
officers, staff and committee members see the actors of theirs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from veilleuse.cli.output import out

territories_app = typer.Typer(help="Served territories (communes, EPCI, départements).",
                              no_args_is_help=True)  # fmt: skip


@territories_app.command("list")
def territories_list() -> None:
    """List the served territories with their size and actors."""
    from veilleuse.app.context import Context
    from veilleuse.app.territory_admin import summaries

    table = Table("id", "name", "EPCI", "communes", "départements", "actors")
    with Context() as ctx:
        for s in summaries(ctx):
            t = s.territory
            table.add_row(
                t.id,
                t.name,
                ", ".join(t.epcis) or "-",
                str(len(s.communes)),
                ", ".join(t.departments) or "-",
                str(s.actors),
            )
    out.print(table)


@territories_app.command("show")
def territories_show(
    territory: Annotated[str, typer.Argument(help="Territory id (valenciennes, mel…)")],
) -> None:
    """Show a territory: its EPCI, communes, postcodes, actors and buyers' search."""
    from veilleuse.app.context import Context
    from veilleuse.app.territories import get_territory
    from veilleuse.app.territory_admin import summarise

    with Context() as ctx:
        s = summarise(ctx, get_territory(ctx, territory))
        base = ctx.settings.web.base_url.rstrip("/")
    t = s.territory
    out.print(f"[bold]{t.name}[/bold] ({t.id})")
    for siren, name in s.epcis.items():
        out.print(f"EPCI: {name} (SIREN {siren})")
    out.print(f"départements: {', '.join(t.departments) or '-'}")
    out.print(
        f"{len(s.communes)} communes: " + ", ".join(f"{n} ({c})" for c, n in s.communes.items())
    )
    out.print(f"postcodes: {' '.join(s.postcodes)}")
    out.print(f"actors: {s.actors}")
    out.print(f"buyers of the territory: {base}/recherche?{s.buyers_query}")
    if s.unknown:
        out.print(
            f"[yellow]codes unknown to the administrative data[/yellow]: {', '.join(s.unknown)}"
        )


@territories_app.command("import")
def territories_import(
    path: Annotated[
        Path, typer.Argument(help="YAML or JSON: id, name, communes, epcis, departments")
    ],
    assign: Annotated[
        bool, typer.Option(help="Place the unassigned actors whose commune lies in a territory")
    ] = True,
) -> None:
    """Create or update territories from a file (one definition or a list)."""
    from veilleuse.app.context import Context
    from veilleuse.app.territory_admin import import_territories

    with Context() as ctx:
        report = import_territories(ctx, path, assign=assign)
    out.print(
        f"{len(report.created)} territories created ({', '.join(report.created) or '-'}), "
        f"{len(report.updated)} updated ({', '.join(report.updated) or '-'}), "
        f"{len(report.assigned)} actors assigned by their commune"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(territories_app, name="territories")
