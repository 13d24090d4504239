"""Feedback on matches, and the matching weights it suggests (proposed, never applied)."""

from __future__ import annotations

from dataclasses import dataclass

from veilleuse.app.context import Context
from veilleuse.matching.matching import prepare_inputs
from veilleuse.matching.tuning import TuningResult, component_rows, feedback_labels, tune
from veilleuse.records import actors as actor_records
from veilleuse.records import matches as match_records


def add_feedback(
    ctx: Context,
    actor_id: str,
    notice_uid: str,
    relevant: bool,
    *,
    reason: str | None = None,
    by: str | None = None,
    suggestion: bool = False,
) -> None:
    """Record a verdict on a match (or a grouped-bid suggestion); a rejected pair is never shown again."""
    match_records.add_feedback(
        ctx.records,
        actor_id,
        notice_uid,
        relevant,
        reason=reason,
        by=by,
        target="suggestion" if suggestion else "match",
    )


@dataclass
class TuneReport:
    relevant: int
    not_relevant: int
    result: TuningResult | None  # None: not enough feedback yet (4 of each needed)


def tune_weights(ctx: Context) -> TuneReport:
    """Weights that best separate the matches people found relevant from those they rejected."""
    labels = feedback_labels(match_records.feedback_verdicts(ctx.records))
    wanted = {pair[0] for pair in labels}
    actors = [a for a in actor_records.list_actors(ctx.records) if a.id in wanted]
    notices = ctx.store.get_many(sorted({pair[1] for pair in labels}))
    inputs = prepare_inputs(actors, notices, ctx.embedder)
    rows, relevant = component_rows(inputs, labels, ctx.settings.matching, ctx.now().date())
    result = tune(rows, relevant, ctx.settings.matching)
    return TuneReport(int(relevant.sum()), int((~relevant).sum()), result)
