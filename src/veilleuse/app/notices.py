"""One notice as the watch officer reads it, and pushing it to chosen actors.

`notice_detail` gathers everything the notice page shows: lots with CPV labels, the evidence
behind the reserved / social-clause flags, the same opportunity in other sources, the matched
actors with their reasons (worded now, by `matching.reasons`), the suggested team and the pushes
already made — each restricted to the actors the user may see. `push_notice` records pushes; the
next digest of each actor carries them (`app.digest`), once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from veilleuse.app.context import Context
from veilleuse.app.territories import visible_actor_ids
from veilleuse.core.accounts import Permission, User, can
from veilleuse.core.deadlines import effective_deadline, is_past
from veilleuse.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from veilleuse.core.models import (
    Actor,
    ContractNature,
    GroupedBidSuggestion,
    Lot,
    Match,
    Notice,
    NoticeStatus,
    ReservedKind,
)
from veilleuse.digests.render import KIND_LABELS, RESERVED_LABELS, source_label
from veilleuse.matching.cpv import cpv_label
from veilleuse.matching.reasons import reason_text
from veilleuse.records import actors as actor_records
from veilleuse.records import digest_log
from veilleuse.records import matches as match_records
from veilleuse.records import pushes as push_records

#: the longest note a push may carry (it is shown in the actor's digest)
MAX_NOTE = 1000

STATUS_LABELS = {
    NoticeStatus.OPEN: "ouvert",
    NoticeStatus.CLOSED: "clos",
    NoticeStatus.CANCELLED: "annulé",
    NoticeStatus.CORRECTED: "rectifié",
}
NATURE_LABELS = {
    ContractNature.WORKS: "travaux",
    ContractNature.SUPPLIES: "fournitures",
    ContractNature.SERVICES: "services",
}


@dataclass(frozen=True)
class NoticeLabels:
    """The French words of a notice's codes, for front ends (the digests' own words)."""

    kinds = KIND_LABELS
    statuses = STATUS_LABELS
    natures = NATURE_LABELS
    reserved = RESERVED_LABELS

    @staticmethod
    def source(name: str) -> str:
        return source_label(name)


LABELS = NoticeLabels()


@dataclass(frozen=True)
class CpvLine:
    code: str
    label: str | None


def cpv_lines(codes: list[str]) -> list[CpvLine]:
    return [CpvLine(code, cpv_label(code)) for code in codes]


@dataclass
class LotLine:
    lot: Lot
    cpv: list[CpvLine]
    #: the lot's own deadline, else the notice's
    deadline: date | datetime | None
    reserved: bool | None
    reserved_kinds: list[ReservedKind]


@dataclass
class Duplicate:
    """The same opportunity published by another source; `notice` None when not stored."""

    uid: str
    notice: Notice | None


@dataclass
class MatchedActor:
    actor: Actor
    match: Match
    #: French sentences, heaviest first
    reasons: list[str]
    lot_titles: list[str]


@dataclass
class TeamMember:
    actor_id: str
    name: str
    lead: bool
    lots: list[str]
    #: "LOT-2 « Élagage »" for each of its lots
    lot_titles: list[str]


@dataclass
class Team:
    suggestion: GroupedBidSuggestion
    members: list[TeamMember]
    reasons: list[str]


@dataclass
class PushLine:
    actor_id: str
    actor_name: str
    at: datetime
    by: str | None
    note: str | None
    #: the notice (or one of its duplicates) is in a digest logged for the actor
    announced: bool


@dataclass
class NoticeDetail:
    notice: Notice
    cpv: list[CpvLine]
    lots: list[LotLine]
    deadline: date | datetime | None
    closed: bool
    duplicates: list[Duplicate]
    #: the source's page of the notice (http/https only), else None
    source_url: str | None
    #: None when the user may not see matches
    matches: list[MatchedActor] | None
    team: Team | None
    #: a team was suggested but it includes actors the user may not see
    team_hidden: bool
    pushes: list[PushLine]
    #: actors the user may push the notice to (empty without the permission)
    push_candidates: list[Actor] = field(default_factory=list)


def get_notice(ctx: Context, uid: str) -> Notice:
    notice = ctx.store.get(uid)
    if notice is None:
        raise NotFoundError(f"avis inconnu : {uid!r}")
    return notice


def _visible(ctx: Context, user: User, actor_ids: set[str]) -> set[str]:
    allowed = visible_actor_ids(ctx, user)
    return actor_ids if allowed is None else actor_ids & allowed


def _safe_url(url: str | None) -> str | None:
    if url and url.strip().lower().startswith(("https://", "http://")):
        return url.strip()
    return None


def _is_closed(ctx: Context, notice: Notice) -> bool:
    return notice.status != NoticeStatus.OPEN or is_past(effective_deadline(notice), ctx.now())


def notice_detail(ctx: Context, uid: str, user: User) -> NoticeDetail:
    """Everything the notice page shows to `user` (NotFoundError when the uid is unknown)."""
    notice = get_notice(ctx, uid)
    identity = [notice.uid, *notice.also_in]
    stored = {n.uid: n for n in ctx.store.get_many(notice.also_in)}
    lots = [
        LotLine(
            lot,
            cpv_lines(lot.cpv),
            lot.deadline or notice.deadline,
            lot.reserved,
            lot.reserved_kinds,
        )
        for lot in notice.lots
    ]
    detail = NoticeDetail(
        notice=notice,
        cpv=cpv_lines(notice.cpv),
        lots=lots,
        deadline=effective_deadline(notice),
        closed=_is_closed(ctx, notice),
        duplicates=[Duplicate(u, stored.get(u)) for u in notice.also_in],
        source_url=_safe_url(notice.url),
        matches=None,
        team=None,
        team_hidden=False,
        pushes=[],
    )
    records = ctx.records
    pushes = push_records.pushes_of_notice(records, identity)
    matches = (
        match_records.matches_of_notice(records, notice.uid)
        if can(user, Permission.NOTICE_VIEW_MATCHES)
        else None
    )
    suggestion = match_records.suggestion_of_notice(records, notice.uid) if matches else None
    wanted = {p.actor_id for p in pushes} | {m.actor_id for m in matches or []}
    if suggestion is not None:
        wanted |= set(suggestion.members)
    visible = _visible(ctx, user, wanted)
    actors = {a.id: a for a in actor_records.get_actors(records, sorted(visible))}
    if matches is not None:
        detail.matches = [
            _matched(notice, m, actors[m.actor_id]) for m in matches if m.actor_id in actors
        ]
    if suggestion is not None:
        if set(suggestion.members) <= set(actors):
            detail.team = _team(notice, suggestion, actors)
        else:
            detail.team_hidden = True
    detail.pushes = _push_lines(ctx, [p for p in pushes if p.actor_id in actors], actors, identity)
    if can(user, Permission.NOTICE_PUSH) and not detail.closed:
        detail.push_candidates = _push_candidates(ctx, user, detail.matches or [])
    return detail


def _matched(notice: Notice, match: Match, actor: Actor) -> MatchedActor:
    reasons = sorted(match.reasons, key=lambda r: -r.weight)
    titles = {lot.id: lot.title or lot.id for lot in notice.lots}
    return MatchedActor(
        actor,
        match,
        [text for text in (reason_text(r) for r in reasons) if text],
        [titles.get(i, i) for i in match.lot_ids],
    )


def _team(notice: Notice, suggestion: GroupedBidSuggestion, actors: dict[str, Actor]) -> Team:
    ordered = [suggestion.lead, *(m for m in suggestion.members if m != suggestion.lead)]
    titles = {lot.id: f"{lot.id} « {lot.title} »" for lot in notice.lots if lot.title}
    members = []
    for member in ordered:
        lots = [a.lot_id for a in suggestion.assignments if a.actor_id == member]
        members.append(
            TeamMember(
                member,
                actors[member].name,
                member == suggestion.lead,
                lots,
                [titles.get(lot, lot) for lot in lots],
            )
        )
    reasons = [text for text in (reason_text(r) for r in suggestion.reasons) if text]
    return Team(suggestion, members, reasons)


def _push_lines(
    ctx: Context, pushes: list[push_records.Push], actors: dict[str, Actor], identity: list[str]
) -> list[PushLine]:
    lines = []
    for push in pushes:
        announced = push.logged or bool(
            digest_log.sent_uids(ctx.records, push.actor_id) & set(identity)
        )
        lines.append(
            PushLine(
                push.actor_id,
                actors[push.actor_id].name,
                push.at,
                push.by_name,
                push.note,
                announced,
            )
        )
    return lines


def _push_candidates(ctx: Context, user: User, matched: list[MatchedActor]) -> list[Actor]:
    """Active actors the user may push to: the matched ones first (best first), then by name."""
    allowed = visible_actor_ids(ctx, user)
    everyone = [
        a for a in actor_records.list_actors(ctx.records) if allowed is None or a.id in allowed
    ]
    rank = {m.actor.id: i for i, m in enumerate(matched)}
    return sorted(everyone, key=lambda a: (rank.get(a.id, len(rank)), a.name.lower(), a.id))


# --------------------------------------------------------------------------- push


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
    if _is_closed(ctx, notice):
        raise ValidationError(
            "cet avis est clos ou sa date limite est passée : il n'est pas poussé"
        )
    wanted = list(dict.fromkeys(a.strip() for a in actor_ids if a.strip()))
    if not wanted:
        raise ValidationError("choisissez au moins une structure")
    text = (note or "").strip() or None
    if text is not None and len(text) > MAX_NOTE:
        raise ValidationError(f"la note dépasse {MAX_NOTE} caractères")
    visible = _visible(ctx, user, set(wanted))
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
