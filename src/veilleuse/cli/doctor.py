"""`veilleuse doctor`: check the configuration; exit 1 when something blocks a weekly run."""

from __future__ import annotations

import typer

from veilleuse.cli.output import out
from veilleuse.config.settings import get_settings

MARKS = {
    "ok": "[green]ok[/green]",
    "warning": "[yellow]warning[/yellow]",
    "error": "[red]error[/red]",
}


def doctor() -> None:
    """Check records, store, model, mail, secrets, Prefect and sources; say how to fix each."""
    from veilleuse.app.context import Context
    from veilleuse.app.doctor import blocks_weekly, diagnose

    with Context(get_settings()) as ctx:
        checks = diagnose(ctx)
    for check in checks:
        out.print(f"{MARKS[check.level]} {check.part}: {check.message}")
    if blocks_weekly(checks):
        out.print("[red]A weekly run would fail: fix the errors above.[/red]")
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)
