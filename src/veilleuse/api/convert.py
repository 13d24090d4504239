"""Use-case reports → response models (`api.schemas`)."""

from __future__ import annotations

from veilleuse.api.schemas import (
    ActorOut,
    CpvLabel,
    DuplicateOut,
    MatchOut,
    NoticeDetailOut,
    NoticeHit,
    NoticeMatchOut,
    NoticeOut,
    NoticeSummary,
    PlanTerritoryOut,
    ReasonOut,
)
from veilleuse.app.actor_admin import FAMILY_LABELS
from veilleuse.app.actor_matches import ActorMatchLine, WordedReason, worded
from veilleuse.app.notice_page import NoticeDetail
from veilleuse.app.search import Hit
from veilleuse.app.search_explain import explain, relevance_label
from veilleuse.core.accounts import PlanTerritory
from veilleuse.core.models import Actor, Notice

_NOTICE_FIELDS = set(NoticeOut.model_fields)


def notice_fields(notice: Notice) -> dict[str, object]:
    """The notice's fields the API shows (every one but `raw`), as model objects."""
    return {name: getattr(notice, name) for name in _NOTICE_FIELDS}


def notice_out(notice: Notice) -> NoticeOut:
    return NoticeOut(**notice_fields(notice))


def notice_hit(hit: Hit, query: str = "") -> NoticeHit:
    """A result; with the query's words, its relevance for people and why it came up."""
    return NoticeHit(
        **notice_fields(hit.notice),
        score=hit.score,
        relevance=hit.relevance,
        relevance_label=relevance_label(hit.relevance),
        reasons=explain(query, hit) if query.strip() else [],
        highlights=hit.highlights,
        updated_at=hit.updated_at,
    )


def reason_out(line: WordedReason) -> ReasonOut:
    r = line.reason
    return ReasonOut(code=r.code, params=r.params, weight=r.weight, text=line.text)


def notice_detail_out(detail: NoticeDetail) -> NoticeDetailOut:
    matches = None
    if detail.matches is not None:
        matches = [
            NoticeMatchOut(
                actor_id=m.actor.id,
                actor_name=m.actor.name,
                score=m.match.score,
                lot_ids=m.match.lot_ids,
                reasons=[reason_out(r) for r in worded(m.match.reasons)],
            )
            for m in detail.matches
        ]
    return NoticeDetailOut(
        **notice_fields(detail.notice),
        effective_deadline=detail.deadline,
        closed=detail.closed,
        cpv_labels=[CpvLabel(code=c.code, label=c.label) for c in detail.cpv],
        duplicates=[
            DuplicateOut(uid=d.uid, title=d.notice.title if d.notice else None)
            for d in detail.duplicates
        ],
        matches=matches,
    )


def territory_out(territory: PlanTerritory | None) -> PlanTerritoryOut | None:
    return PlanTerritoryOut(id=territory.id, name=territory.name) if territory else None


def actor_out(actor: Actor, active: bool, territory: PlanTerritory | None) -> ActorOut:
    return ActorOut(
        id=actor.id,
        name=actor.name,
        siret=actor.siret,
        legal_form=actor.legal_form,
        family=actor.family,
        family_label=FAMILY_LABELS.get(actor.family, actor.family.value),
        description=actor.description,
        cpv_interests=actor.cpv_interests,
        territory=actor.territory,
        capacity=actor.capacity,
        contacts=actor.contacts,
        active=active,
        plan_territory=territory_out(territory),
    )


def match_out(line: ActorMatchLine) -> MatchOut:
    notice = line.notice
    summary = None
    if notice is not None:
        summary = NoticeSummary(
            uid=notice.uid,
            title=notice.title,
            kind=notice.kind,
            buyer=notice.buyer.name,
            deadline=notice.deadline,
            status=notice.status,
        )
    m = line.match
    return MatchOut(
        notice_uid=m.notice_uid,
        notice=summary,
        score=m.score,
        lot_ids=m.lot_ids,
        components=m.components,
        reasons=[reason_out(r) for r in line.reasons],
        closed=line.closed,
    )
