"""`veilleuse bids propose-outcomes`: outcome proposals of the grouped-bid register.

The index stage proposes outcomes from the award notices it has just stored; this command goes
over every stored award notice (after a backfill, or when bids were registered late).
"""

from __future__ import annotations

import typer

from veilleuse.cli.output import out

bids_app = typer.Typer(help="The grouped-bid register.", no_args_is_help=True)


@bids_app.command("propose-outcomes")
def propose_outcomes_cmd() -> None:
    """Propose an outcome to every open tender bid whose procedure a stored award concludes."""
    from veilleuse.app.bid_outcomes import propose_outcomes
    from veilleuse.app.context import Context

    with Context() as ctx:
        report = propose_outcomes(ctx)
    out.print(
        f"{report.awards} award notices over {report.open_bids} open tender bids: "
        f"{len(report.proposed)} new proposals"
        + (f" (bids {', '.join(map(str, report.proposed))})" if report.proposed else "")
    )


def register(app: typer.Typer) -> None:
    app.add_typer(bids_app, name="bids")
