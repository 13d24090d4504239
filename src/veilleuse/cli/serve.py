"""`veilleuse serve`: register the Prefect deployments and run their scheduled runs here."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from veilleuse.cli.output import err, out
from veilleuse.config.settings import get_settings

NO_SERVER = (
    "PREFECT_API_URL is not set: without a Prefect server nothing would be scheduled "
    "(ephemeral mode runs flows only when called). Start one (`make serve`, or "
    "`prefect server start --host 127.0.0.1`) and set "
    "PREFECT_API_URL=http://127.0.0.1:4200/api"
)


def serve(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List the deployments and their schedules, serve none")
    ] = False,
) -> None:
    """Serve the deployments: a collect per enabled source, weekly_watch, alerts, reminders."""
    settings = get_settings()
    from veilleuse.flows.runtime import prepare_prefect

    if not dry_run and not os.environ.get("PREFECT_API_URL"):
        err.print(f"[red]error:[/red] {NO_SERVER}")
        raise typer.Exit(2)
    prepare_prefect(settings.data_dir)
    from veilleuse.flows.deployments import deployments, serve_all

    for deployment in deployments(settings):
        crons = ", ".join(
            str(getattr(s.schedule, "cron", s.schedule)) for s in deployment.schedules or []
        )
        out.print(
            f"{deployment.flow_name}/{deployment.name}: {crons} ({', '.join(deployment.tags)})"
        )
    if dry_run:
        return
    out.print(f"Serving against {os.environ['PREFECT_API_URL']} (Ctrl+C to stop)")
    serve_all(settings)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
