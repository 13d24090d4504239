"""Pushing a notice to chosen actors: the next digest of each actor carries it
(`app.digest`), once.

The watch officer pushes from the notice page (`app.notice_page` lists the pushes made); a push
is refused before anything is written when the user, the notice or one of the actors does not
allow it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from veilleuse.app.context import Context
from veilleuse.app.notices import get_notice, is_closed
from veilleuse.app.territories import visible_among
from veilleuse.core.accounts import Permission, User, can
from veilleuse.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from veilleuse.records import actors as actor_records
from veilleuse.records import digest_log
from veilleuse.records import pushes as push_records

#: the longest note a push may carry (it is shown in the actor's digest)
MAX_NOTE = 1000


class PushOutcome(StrEnum):
    PUSHED = "pushed"
    ALREADY_PUSHED = "already_pushed"
    ALREADY_ANNOUNCED = "already_announced"

    @property
    def label(self) -> str:
        return _OUTCOME_LABELS[self]


_OUTCOME_LABELS = {
    PushOutcome.PUSHED: "poussé : il sera dans son prochain digest",
    PushOutcome.ALREADY_PUSHED: "déjà poussé",
    PushOutcome.ALREADY_ANNOUNCED: "déjà annoncé dans un digest : il ne sera pas renvoyé",
}


@dataclass
class PushResult:
    actor_id: str
    actor_name: str
    outcome: PushOutcome


@dataclass
class PushReport:
    notice_uid: str
    results: list[PushResult]

    def pushed(self) -> list[str]:
        return [r.actor_id for r in self.results if r.outcome is PushOutcome.PUSHED]


def push_notice(
    ctx: Context, uid: str, actor_ids: list[str], user: User, note: str | None = None
) -> PushReport:
    """Push a notice to actors of the user's territories, for their next digest.

    Checked before anything is written: the permission (PermissionDeniedError), the notice
    (NotFoundError; ValidationError when it is closed), every actor (NotFoundError for an
    unknown one or one of another territory, so its existence does not show). Pushing an actor
    twice changes nothing (`ALREADY_PUSHED`); a notice already in one of its digests is recorded
    but not sent again (`ALREADY_ANNOUNCED`).
    """
    if not can(user, Permission.NOTICE_PUSH):
        raise PermissionDeniedError("pousser un avis n'est pas permis à ce compte")
    notice = get_notice(ctx, uid)
    if is_closed(ctx, notice):
        raise ValidationError(
            "cet avis est clos ou sa date limite est passée : il n'est pas poussé"
        )
    wanted = list(dict.fromkeys(a.strip() for a in actor_ids if a.strip()))
    if not wanted:
        raise ValidationError("choisissez au moins une structure")
    text = (note or "").strip() or None
    if text is not None and len(text) > MAX_NOTE:
        raise ValidationError(f"la note dépasse {MAX_NOTE} caractères")
    visible = visible_among(ctx, user, set(wanted))
    actors = {a.id: a for a in actor_records.get_actors(ctx.records, sorted(visible))}
    for actor_id in wanted:
        if actor_id not in actors:
            raise NotFoundError(f"structure inconnue : {actor_id!r}")
    created = set(
        push_records.add_pushes(ctx.records, notice.uid, wanted, user.id, text, ctx.now())
    )
    identity = {notice.uid, *notice.also_in}
    results = []
    for actor_id in wanted:
        if digest_log.sent_uids(ctx.records, actor_id) & identity:
            outcome = PushOutcome.ALREADY_ANNOUNCED
        elif actor_id in created:
            outcome = PushOutcome.PUSHED
        else:
            outcome = PushOutcome.ALREADY_PUSHED
        results.append(PushResult(actor_id, actors[actor_id].name, outcome))
    return PushReport(notice.uid, results)
