"""Partners worth asking to join a grouped bid, among the actors the user sees.

For a funding call, `matching.consortia.suggest_partners` (matched actors of another family,
close by: a « collectif de réponse »); for a tender, the other members of the notice's stored
suggestion, with the lots it gives them. Reasons are worded by `matching.reasons`.
"""

from __future__ import annotations

from dataclasses import dataclass

from veilleuse.app.context import Context
from veilleuse.app.grouped_bids import need_view
from veilleuse.app.notices import get_notice
from veilleuse.app.territories import visible_among
from veilleuse.core.accounts import User
from veilleuse.core.errors import NotFoundError
from veilleuse.core.models import NoticeKind
from veilleuse.matching.consortia import suggest_partners
from veilleuse.matching.reasons import reason_text
from veilleuse.records import actors as actor_records
from veilleuse.records import matches as match_records


@dataclass(frozen=True)
class PartnerLine:
    """An actor worth asking to join: its name, a score and why, in French."""

    actor_id: str
    name: str
    score: float
    why: str


def partner_suggestions(
    ctx: Context, user: User, notice_uid: str, actor_id: str
) -> list[PartnerLine]:
    """Partners for `actor_id` on a notice, among the actors the user sees and the notice's
    stored matches: for a funding call, `matching.consortia.suggest_partners` (another family,
    close by); for a tender, the other members of the stored suggestion with their lots."""
    need_view(user)
    notice = get_notice(ctx, notice_uid)
    matches = match_records.matches_of_notice(ctx.records, notice.uid)
    visible = visible_among(ctx, user, {m.actor_id for m in matches} | {actor_id})
    if actor_id not in visible:
        raise NotFoundError(f"structure inconnue : {actor_id!r}")
    actors = {a.id: a for a in actor_records.get_actors(ctx.records, sorted(visible))}
    if notice.kind is NoticeKind.FUNDING_CALL:
        mine = [m for m in matches if m.actor_id in actors]
        partners = suggest_partners(notice, mine, actors).get(actor_id, [])
        return [
            PartnerLine(p.actor_id, actors[p.actor_id].name, p.score, reason_text(p.why) or "")
            for p in partners
        ]
    suggestion = match_records.suggestion_of_notice(ctx.records, notice.uid)
    if suggestion is None or actor_id not in suggestion.members:
        return []
    scores = {m.actor_id: m.score for m in matches}
    return [
        PartnerLine(
            a.actor_id,
            actors[a.actor_id].name,
            scores.get(a.actor_id, 0.0),
            reason_text(a.why) or "",
        )
        for a in suggestion.assignments
        if a.actor_id != actor_id and a.actor_id in actors
    ]
