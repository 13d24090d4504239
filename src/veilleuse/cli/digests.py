"""`veilleuse digests`: the weekly run's digest stage alone, on the matches already stored.

For an operator after an incident (the mail server was down during the weekly run: send what
is due now, resending first what was logged and not sent) and for the fault-injection tests,
which kill this command at each step of a digest run. It takes the weekly run's lock.
"""

from __future__ import annotations

import typer

from veilleuse.cli.output import err, out
from veilleuse.config.settings import get_settings


def digests_cmd() -> None:
    """Send the digests due on the stored matches (resending first what a previous run logged
    and did not send); exits 1 when every digest failed."""
    from veilleuse.app.context import Context
    from veilleuse.app.digest import DigestReport, digest_stage
    from veilleuse.app.run_lock import exclusive

    settings = get_settings()
    with Context(settings) as ctx:
        report = exclusive(ctx, "weekly_watch:digest", lambda: digest_stage(ctx, []), DigestReport)
    out.print(
        f"digests (mail: {settings.mail.mode.value}): {len(report.sent)} sent with "
        f"{report.items} items, {len(report.resent)} resent, {len(report.empty)} with nothing "
        f"new, {len(report.too_soon)} already served, {len(report.undeliverable)} "
        f"undeliverable, {len(report.failed)} failed"
    )
    for digest_id, why in report.failed:
        err.print(f"  [red]not sent[/red] {digest_id}: {why}")
    if report.failed and not report.sent and not report.resent:
        raise typer.Exit(1)  # every digest failed: a scheduler must see it


def register(app: typer.Typer) -> None:
    app.command("digests")(digests_cmd)
