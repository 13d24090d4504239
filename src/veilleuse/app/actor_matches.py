"""One actor's current matches, with their reasons as data and worded in French.

Who may read them: a role with `notice.view_matches` for an actor of its territories, or the
actor's own account. An actor the user may not see is `NotFoundError` (its existence does not
show); a visible actor whose matches the role may not read is `PermissionDeniedError`.
"""

from __future__ import annotations

from dataclasses import dataclass

from veilleuse.app.context import Context
from veilleuse.app.territories import visible_actor_ids
from veilleuse.core.accounts import Permission, User, can, own_actor
from veilleuse.core.deadlines import effective_deadline, is_past
from veilleuse.core.errors import NotFoundError, PermissionDeniedError
from veilleuse.core.models import Actor, Match, Notice, NoticeStatus, Reason
from veilleuse.matching.reasons import reason_text
from veilleuse.records import actors as actor_records
from veilleuse.records import matches as match_records


@dataclass
class WordedReason:
    reason: Reason
    #: the French sentence ("" for a code this version does not word)
    text: str


@dataclass
class ActorMatchLine:
    match: Match
    #: None when the notice is no longer stored
    notice: Notice | None
    #: heaviest first
    reasons: list[WordedReason]
    #: the notice is closed, cancelled, or its deadline has passed
    closed: bool


@dataclass
class ActorMatches:
    actor: Actor
    active: bool
    #: best first
    matches: list[ActorMatchLine]


def worded(reasons: list[Reason]) -> list[WordedReason]:
    return [WordedReason(r, reason_text(r)) for r in sorted(reasons, key=lambda r: -r.weight)]


def actor_matches(
    ctx: Context, actor_id: str, user: User, *, open_only: bool = False, limit: int | None = None
) -> ActorMatches:
    """The stored matches of `actor_id` (from the latest matching run), best first."""
    allowed = visible_actor_ids(ctx, user)
    found = actor_records.actor_entries(ctx.records, [actor_id])
    if not found or (allowed is not None and actor_id not in allowed):
        raise NotFoundError(f"structure inconnue : {actor_id!r}")
    if not (can(user, Permission.NOTICE_VIEW_MATCHES) or own_actor(user) == actor_id):
        raise PermissionDeniedError(
            f"Votre rôle ({user.role.label}) ne permet pas de voir les correspondances."
        )
    entry = found[0]
    matches = match_records.load_matches(ctx.records, actor_id)
    notices = {n.uid: n for n in ctx.store.get_many([m.notice_uid for m in matches])}
    now = ctx.now()
    lines = []
    for match in matches:
        notice = notices.get(match.notice_uid)
        closed = notice is None or (
            notice.status != NoticeStatus.OPEN or is_past(effective_deadline(notice), now)
        )
        if open_only and closed:
            continue
        lines.append(ActorMatchLine(match, notice, worded(match.reasons), closed))
        if limit is not None and len(lines) >= limit:
            break
    return ActorMatches(entry.actor, entry.active, lines)
