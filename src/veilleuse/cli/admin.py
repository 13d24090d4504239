"""`veilleuse settings` and `veilleuse index migrate`."""

from __future__ import annotations

import typer
from rich.table import Table

from veilleuse.cli.output import out
from veilleuse.config.settings import describe, get_settings

index_app = typer.Typer(help="Notice index administration.", no_args_is_help=True)


def settings_cmd() -> None:
    """Print every setting: environment name, current value, default and help."""
    table = Table("setting", "value", "default", "help", show_lines=False)
    for name, value, default, help_text in describe(get_settings()):
        table.add_row(name, value, default, help_text)
    out.print(table)


@index_app.command("migrate")
def index_migrate() -> None:
    """Build a new index version with the current mappings, reindex, and swap the alias."""
    from veilleuse.app.context import Context
    from veilleuse.app.index import migrate_index

    with Context() as ctx:
        done = migrate_index(ctx)
    out.print(done or "the embedded store has no index versions: nothing to migrate")


def register(app: typer.Typer) -> None:
    app.command("settings")(settings_cmd)
    app.add_typer(index_app, name="index")
