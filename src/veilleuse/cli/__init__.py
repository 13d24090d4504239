"""The `veilleuse` command line: one module per command group, each a thin shell over `app`."""

from __future__ import annotations

import sys

from veilleuse.cli import (
    actors,
    admin,
    alerts,
    bids,
    digests,
    doctor,
    matching,
    model,
    reminders,
    search,
    serve,
    sources,
    targets,
    territories,
    users,
    watch,
    web,
)
from veilleuse.cli.output import app, err
from veilleuse.config.logging_setup import setup_logging
from veilleuse.config.settings import get_settings
from veilleuse.core.errors import VeilleuseError

__all__ = ["app", "main"]

for module in (
    watch,
    search,
    actors,
    sources,
    matching,
    admin,
    users,
    web,
    alerts,
    targets,
    territories,
    bids,
    reminders,
    digests,
    serve,
    doctor,
    model,
):
    module.register(app)


def main() -> None:
    try:
        try:
            settings = get_settings()
        except Exception:  # invalid settings: the command itself reports them
            settings = None
        if settings is not None:
            setup_logging(settings)
        app()
    except VeilleuseError as exc:
        err.print(f"[red]error:[/red] {exc}")
        sys.exit(2)
