"""Grouped-bid suggestions drawn from one served territory: a network forms teams among its own
actors, and its officer and staff see every member of the team they are offered."""

from __future__ import annotations

from veilleuse.app.context import Context
from veilleuse.app.territories import territories_of_actors
from veilleuse.core.models import GroupedBidSuggestion, Match
from veilleuse.matching.consortia import suggest_grouped_bids
from veilleuse.matching.lexical import Lexicon
from veilleuse.matching.matching import MatchInputs


def suggest_within_territories(
    ctx: Context, inputs: MatchInputs, matches: list[Match], lexicon: Lexicon | None = None
) -> list[GroupedBidSuggestion]:
    """`suggest_grouped_bids` within each territory's actors (and among the actors outside
    every territory); per tender, the best-scored team. Without territories: unchanged."""
    home = territories_of_actors(ctx, {m.actor_id for m in matches})
    groups: dict[str | None, list[Match]] = {}
    for m in matches:
        groups.setdefault(home.get(m.actor_id), []).append(m)
    best: dict[str, GroupedBidSuggestion] = {}
    for group in groups.values():
        for found in suggest_grouped_bids(inputs, group, ctx.settings.matching, lexicon):
            if found.notice_uid not in best or found.score > best[found.notice_uid].score:
                best[found.notice_uid] = found
    return list(best.values())
