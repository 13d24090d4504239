"""`veilleuse reminders`: send the deadline reminders that are due (run it daily)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from veilleuse.cli.output import err, out
from veilleuse.config.settings import get_settings

if TYPE_CHECKING:
    from veilleuse.app.reminders import RemindersReport


def reminders_cmd(
    use_flow: Annotated[
        bool,
        typer.Option(
            "--flow/--direct",
            help="Run through Prefect (the `reminders` flow, with retries) or directly (default)",
        ),
    ] = False,
) -> None:
    """Remind each actor, once, of the deadline of a notice it said interested it: in its next
    digest when that comes in time, else in a short e-mail now."""
    settings = get_settings()
    if use_flow:
        from veilleuse.flows.runtime import prepare_prefect

        prepare_prefect(settings.data_dir)
        from veilleuse.flows.reminders import reminders_flow

        report = reminders_flow()
    else:
        from veilleuse.app.context import Context
        from veilleuse.app.reminders import send_reminders

        with Context(settings) as ctx:
            report = send_reminders(ctx)
    print_report(report, settings.mail.mode.value, settings.digest.reminder_days_before)
    if report.failed and not report.sent and not report.resent:
        raise typer.Exit(1)  # nothing went out: a scheduler must see it


def print_report(report: RemindersReport, mail_mode: str, days: int) -> None:
    out.print(
        f"reminders (mail: {mail_mode}, {days} days before the deadline): "
        f"{len(report.sent)} e-mails sent with {report.reminders} reminders "
        f"({report.modified} « modifié »), {len(report.resent)} resent, "
        f"{len(report.deferred)} left for the next digest, {len(report.failed)} failed"
    )
    for mail_id, why in report.failed:
        err.print(f"  [red]failed[/red] {mail_id}: {why}")
    for actor_id in report.no_address:
        out.print(f"  [yellow]no e-mail address[/yellow] for actor {actor_id}")


def register(app: typer.Typer) -> None:
    app.command("reminders")(reminders_cmd)
