"""The root Typer app and the consoles every command group prints to."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import typer
from rich.console import Console

app = typer.Typer(
    help="Veilleuse: veille économique et groupements pour l'ESS.", no_args_is_help=True
)
# reports are read in terminals and in CI logs: never wrap a report line at 80 columns
out = Console(width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 140)


def day(value: str | None) -> date | None:
    """A YYYY-MM-DD option, or a usage error that names the value."""
    try:
        return date.fromisoformat(value) if value else None
    except ValueError as exc:
        raise typer.BadParameter(f"not a date (YYYY-MM-DD): {value!r}") from exc


def repo_file(relative: str) -> Path:
    """A file of the source checkout (README, labelled set)."""
    return Path(__file__).resolve().parents[3] / relative
