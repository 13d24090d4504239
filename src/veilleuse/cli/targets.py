"""`veilleuse targets set | list | delete | metrics`: the targets of the local ESS plans.

The steering committee's statistics (`/pilotage`, its report, `/api/v1/statistics`) show every
figure that has a target against it. Periods: a year (2025), a semester (2025-S1) or a range of
days (2025-02-01..2025-04-30). Shares are written in percent (30 for 30 %).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from veilleuse.cli.output import out

targets_app = typer.Typer(help="Targets of the local ESS plans (steering committee).",
                          no_args_is_help=True)  # fmt: skip


@targets_app.command("set")
def targets_set(
    territory: Annotated[str, typer.Argument(help="Territory id (valenciennes…)")],
    period: Annotated[str, typer.Argument(help="2025, 2025-S1 or 2025-02-01..2025-04-30")],
    metric: Annotated[str, typer.Argument(help="A metric of `veilleuse targets metrics`")],
    value: Annotated[str, typer.Argument(help="The target (a share in percent: 30)")],
) -> None:
    """Set (or replace) the target of a metric for a territory and period."""
    from veilleuse.app import plan_targets
    from veilleuse.app.context import Context
    from veilleuse.app.plan_targets import COMMAND_LINE, parse_cli_period
    from veilleuse.app.search import paris_today

    with Context() as ctx:
        chosen = parse_cli_period(period, paris_today(ctx.now()))
        target, created = plan_targets.set_target(
            ctx, COMMAND_LINE, territory, chosen, metric, value
        )
    verb = "set" if created else "replaced"
    out.print(
        f"target {target.id} {verb}: {target.territory_id}, {target.period.label}, "
        f"{target.metric} = {target.value:g}"
    )


@targets_app.command("list")
def targets_list(
    territory: Annotated[str | None, typer.Option(help="Only this territory")] = None,
) -> None:
    """List the targets (of every territory, or of one)."""
    from veilleuse.app import plan_targets
    from veilleuse.app.context import Context
    from veilleuse.app.plan_targets import COMMAND_LINE

    table = Table("id", "territory", "period", "first day", "last day", "metric", "value")
    with Context() as ctx:
        for t in plan_targets.list_targets(ctx, COMMAND_LINE, territory):
            table.add_row(
                str(t.id),
                t.territory_id,
                t.period.label,
                t.start.isoformat(),
                t.end.isoformat(),
                t.metric,
                f"{t.value:g}",
            )
    out.print(table)


@targets_app.command("delete")
def targets_delete(
    target_id: Annotated[int, typer.Argument(help="Id from `targets list`")],
) -> None:
    """Remove a target."""
    from veilleuse.app import plan_targets
    from veilleuse.app.context import Context
    from veilleuse.app.plan_targets import COMMAND_LINE

    with Context() as ctx:
        target = plan_targets.delete_target(ctx, COMMAND_LINE, target_id)
    out.print(
        f"target {target_id} deleted: {target.territory_id}, {target.period.label}, {target.metric}"
    )


@targets_app.command("metrics")
def targets_metrics() -> None:
    """The metrics a target may be set for, with their unit."""
    from veilleuse.app.plan_targets import METRICS

    table = Table("metric", "unit", "label")
    for metric in METRICS.values():
        table.add_row(metric.key, metric.unit.value, metric.label)
    out.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(targets_app, name="targets")
