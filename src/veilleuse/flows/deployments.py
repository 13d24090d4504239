"""The deployments `veilleuse serve` registers and serves (and a work pool could `.deploy()`).

One `collect-<source>` per enabled catalogue source on the source's cron, `weekly_watch`,
`alerts` and `reminders` on crons from the `flows` settings; each retries as `flows.retries`
says and is tagged with its source (if any) and the territory's name.
"""

from __future__ import annotations

from typing import Any

from prefect import Flow
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron

from veilleuse.config.settings import Settings
from veilleuse.spiders.catalogue import load_catalogue, select


def _deployment(
    flow: Flow[Any, Any],
    name: str,
    cron: str,
    settings: Settings,
    tags: list[str],
    parameters: dict[str, Any] | None = None,
) -> RunnerDeployment:
    retried = flow.with_options(
        retries=settings.flows.retries, retry_delay_seconds=settings.flows.retry_delay_seconds
    )
    deployment = retried.to_deployment(
        name=name,
        schedule=Cron(cron, timezone=settings.flows.timezone),
        parameters=parameters or {},
        tags=[*tags, settings.territory_name],
        description=flow.description,
    )
    assert isinstance(deployment, RunnerDeployment)  # called outside an event loop
    return deployment


def deployments(settings: Settings) -> list[RunnerDeployment]:
    from veilleuse.flows.alerts import alerts_flow
    from veilleuse.flows.collect import collect_source
    from veilleuse.flows.reminders import reminders_flow
    from veilleuse.flows.weekly import weekly_watch

    flows = settings.flows
    found = [
        _deployment(
            collect_source,
            f"collect-{entry.name}",
            entry.schedule,
            settings,
            ["collect", entry.name],
            {"source": entry.name, "live": flows.weekly_live},
        )
        for entry in select(load_catalogue(), None)
    ]
    found += [
        _deployment(
            weekly_watch,
            "weekly",
            flows.weekly_cron,
            settings,
            ["weekly"],
            {"live": flows.weekly_live},
        ),
        _deployment(alerts_flow, "alerts", flows.alerts_cron, settings, ["alerts"]),
        _deployment(reminders_flow, "reminders", flows.reminders_cron, settings, ["reminders"]),
    ]
    return found


def serve_all(settings: Settings) -> None:
    """Register every deployment and run their scheduled runs here until interrupted."""
    from prefect import serve

    serve(*deployments(settings))
