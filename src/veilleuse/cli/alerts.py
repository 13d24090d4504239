"""`veilleuse alerts`: send the saved-search alerts that are due, once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from veilleuse.cli.output import err, out
from veilleuse.config.settings import get_settings

if TYPE_CHECKING:
    from veilleuse.app.alerts import AlertsReport


def alerts_cmd(
    use_flow: Annotated[
        bool,
        typer.Option(
            "--flow/--direct",
            help="Run through Prefect (the `alerts` flow, with retries) or directly (default)",
        ),
    ] = False,
) -> None:
    """Send each user one e-mail with the new notices of their due saved searches."""
    settings = get_settings()
    if use_flow:
        from veilleuse.flows.runtime import prepare_prefect

        prepare_prefect(settings.data_dir)
        from veilleuse.flows.alerts import alerts_flow

        report = alerts_flow()
    else:
        from veilleuse.app.alerts import run_alerts
        from veilleuse.app.context import Context

        with Context(settings) as ctx:
            report = run_alerts(ctx)
    print_report(report, settings.mail.mode.value)
    if report.failed:
        raise typer.Exit(1)


def print_report(report: AlertsReport, mail_mode: str) -> None:
    out.print(
        f"alerts (mail: {mail_mode}): {len(report.sent)} sent with {report.items} notices, "
        f"{len(report.resent)} resent, {len(report.failed)} failed; "
        f"{len(report.checked)} saved searches run ({len(report.empty)} with nothing new), "
        f"{len(report.not_due)} not due"
    )
    for alert_id, why in report.failed:
        err.print(f"  [red]failed[/red] {alert_id}: {why}")
    for search_id, why in report.invalid:
        err.print(f"  [yellow]saved search {search_id} skipped[/yellow]: {why}")
    for user_id, why in report.skipped_users:
        out.print(f"  user {user_id} skipped: {why}")


def register(app: typer.Typer) -> None:
    app.command("alerts")(alerts_cmd)
