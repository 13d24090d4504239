"""`veilleuse match`, `veilleuse feedback`, `veilleuse tune-weights` and `veilleuse eval`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from veilleuse.cli.output import out


def match_cmd(
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Score every actor against every open notice, not only what changed since "
            "the last run",
        ),
    ] = False,
) -> None:
    """Run the match stage alone on the stored notices and actors (the weekly watch runs it
    after embedding). One run at a time: exit status 3 when another match run holds the lock."""
    from veilleuse.app.context import Context
    from veilleuse.app.match import match_stage

    with Context() as ctx:
        r = match_stage(ctx, full=full)
    if r.mode == "skipped":
        out.print("another match run is in progress: nothing scored")
        raise typer.Exit(3)
    out.print(
        f"{r.mode} run ({r.seconds:.1f} s): {r.matches} matches scored for {r.actors} actors "
        f"over {r.notices} open notices ({r.new_notices} new or changed notices, "
        f"{r.changed_actors} changed or refilled actors), {r.removed} removed, "
        f"{r.suggestions} grouped-bid suggestions"
    )


def feedback(
    actor_id: Annotated[str, typer.Argument(help="Actor identifier")],
    notice_uid: Annotated[str, typer.Argument(help="Notice uid, e.g. boamp:16-186394")],
    relevant: Annotated[bool, typer.Option("--relevant/--not-relevant", help="Verdict")] = False,
    reason: Annotated[str | None, typer.Option(help="Why, in a few words")] = None,
    by: Annotated[str | None, typer.Option(help="Who says so (watch officer, actor)")] = None,
    suggestion: Annotated[
        bool, typer.Option(help="About the grouped-bid suggestion, not the match")
    ] = False,
) -> None:
    """Record that a match (or a grouped-bid suggestion) is relevant or not; rejected ones are not shown again."""
    from veilleuse.app.context import Context
    from veilleuse.app.feedback import add_feedback

    with Context() as ctx:
        add_feedback(
            ctx, actor_id, notice_uid, relevant, reason=reason, by=by, suggestion=suggestion
        )
    verdict = "relevant" if relevant else "not relevant (will not be shown again)"
    out.print(f"{actor_id} × {notice_uid}: {verdict}")


def tune_weights_cmd() -> None:
    """Propose matching weights from the feedback given on matches (printed, not applied)."""
    from veilleuse.app.context import Context
    from veilleuse.app.feedback import tune_weights

    with Context() as ctx:
        report = tune_weights(ctx)
    result = report.result
    if result is None:
        out.print(
            f"not enough feedback yet: {report.relevant} relevant and "
            f"{report.not_relevant} not relevant scored pairs (4 of each needed)"
        )
        raise typer.Exit(1)
    out.print(
        f"{result.examples} pairs with feedback ({result.relevant} relevant); separation "
        f"(AUC) {result.auc_current:.3f} with the current weights, "
        f"{result.auc_tuned:.3f} with:"
    )
    for line in result.env_lines():
        out.print(f"   {line}")


def eval_cmd(
    labels: Annotated[
        Path | None,
        typer.Option(help="A labelled set in the documented format; default: tests/eval/"),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object with every system's metrics")
    ] = False,
) -> None:
    """Measure matching on a labelled set: CPV-only, keyword-only, embeddings-only and hybrid."""
    from veilleuse.app.context import Context
    from veilleuse.app.evaluation import run_evaluation
    from veilleuse.matching.evaluation import format_table

    with Context() as ctx:
        report = run_evaluation(ctx, labels)
    print(json.dumps(report.as_dict()) if as_json else format_table(report))


def register(app: typer.Typer) -> None:
    app.command("match")(match_cmd)
    app.command()(feedback)
    app.command("tune-weights")(tune_weights_cmd)
    app.command("eval")(eval_cmd)
