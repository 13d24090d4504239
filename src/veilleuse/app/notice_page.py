"""The notice page: one notice as the watch officer reads it.

`notice_detail` gathers everything the page shows: lots with CPV labels, the evidence behind the
reserved / social-clause flags, the same opportunity in other sources, the matched actors with
their reasons (worded now, by `matching.reasons`), the suggested team and the pushes already
made (`app.notice_pushes`) — each restricted to the actors the user may see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from veilleuse.app.context import Context
from veilleuse.app.notices import CpvLine, cpv_lines, get_notice, is_closed
from veilleuse.app.territories import visible_actor_ids, visible_among
from veilleuse.core.accounts import Permission, User, can
from veilleuse.core.deadlines import effective_deadline
from veilleuse.core.models import (
    Actor,
    GroupedBidSuggestion,
    Lot,
    Match,
    Notice,
    ReservedKind,
)
from veilleuse.matching.reasons import reason_text
from veilleuse.records import actors as actor_records
from veilleuse.records import digest_log
from veilleuse.records import matches as match_records
from veilleuse.records import pushes as push_records


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


def _safe_url(url: str | None) -> str | None:
    if url and url.strip().lower().startswith(("https://", "http://")):
        return url.strip()
    return None


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
        closed=is_closed(ctx, notice),
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
    visible = visible_among(ctx, user, wanted)
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
