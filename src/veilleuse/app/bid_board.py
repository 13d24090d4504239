"""The grouped-bid board and the interests actors express.

`board` shows the bids the user sees, one column per stage (open stages first), and
« équipes possibles »: open notices for which at least two actors of the user's territories said
they were interested and, together, cover more lots than any one of them. An actor's lots are
those its stored match covers (`Match.lot_ids`); a notice with an open bid in the user's
territories is left out (the team is already being tracked).

`express_interest` is the actor's « ça m'intéresse » (an actor account, for its own actor), or
staff recording it for an actor of their territory; `interested_actors` lists them on a notice.
Interests in a notice count for its duplicates in other sources (`Notice.also_in`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from veilleuse.app.context import Context
from veilleuse.app.grouped_bids import BidLine, bid_lines, list_bids, need_view
from veilleuse.app.notices import get_notice, is_closed
from veilleuse.app.territories import visible_actor_ids, visible_among
from veilleuse.core.accounts import Permission, User, can, own_actor
from veilleuse.core.bids import BidFilters, BidStage
from veilleuse.core.deadlines import effective_deadline
from veilleuse.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from veilleuse.core.grouped_bids import is_terminal
from veilleuse.core.models import Actor, Notice
from veilleuse.records import actors as actor_records
from veilleuse.records import interests as interest_records
from veilleuse.records import matches as match_records
from veilleuse.records.interests import Interest


@dataclass
class BoardColumn:
    stage: BidStage
    lines: list[BidLine]


@dataclass
class TeamMemberLine:
    actor_id: str
    name: str
    #: the lots its stored match covers
    lots: list[str]


@dataclass
class PossibleTeam:
    """Interested actors of one notice that together cover more lots than any one of them."""

    notice_uid: str
    title: str
    deadline: date | datetime | None
    members: list[TeamMemberLine]
    lots_covered: int
    lots_total: int
    #: the most lots one of them covers alone
    best_single: int

    @property
    def coverage_text(self) -> str:
        """« Ensemble : 3 lots sur 4 (une seule structure : 2 au plus) »."""
        return (
            f"Ensemble : {self.lots_covered} lots sur {self.lots_total} "
            f"(une seule structure : {self.best_single} au plus)"
        )


@dataclass
class Board:
    columns: list[BoardColumn]
    teams: list[PossibleTeam] = field(default_factory=list)

    @property
    def open_columns(self) -> list[BoardColumn]:
        return [c for c in self.columns if not is_terminal(c.stage)]

    @property
    def closed_columns(self) -> list[BoardColumn]:
        return [c for c in self.columns if is_terminal(c.stage)]


def board(ctx: Context, user: User, filters: BidFilters | None = None) -> Board:
    """The user's bids by stage (every stage, in the table's order) and the possible teams."""
    need_view(user)
    bids = list_bids(ctx, user, filters)
    by_stage: dict[BidStage, list[BidLine]] = defaultdict(list)
    for line in bid_lines(ctx, user, bids):
        by_stage[line.bid.stage].append(line)
    columns = [BoardColumn(stage, by_stage[stage]) for stage in BidStage]
    return Board(columns, possible_teams(ctx, user))


def possible_teams(ctx: Context, user: User) -> list[PossibleTeam]:
    """« Équipes possibles » for the user's territories (see the module docstring), the
    soonest deadline first. A bounded number of queries: interests, open bids, notices,
    matches, actors."""
    need_view(user)
    allowed = visible_actor_ids(ctx, user)
    by_notice: dict[str, set[str]] = defaultdict(set)
    for interest in interest_records.interests_of_actors(ctx.records, allowed):
        by_notice[interest.notice_uid].add(interest.actor_id)
    wanted = sorted(uid for uid, actors in by_notice.items() if len(actors) >= 2)
    if not wanted:
        return []
    tracked = {b.notice_uid for b in list_bids(ctx, user, BidFilters(open_only=True))}
    notices = [
        n
        for n in ctx.store.get_many(wanted)
        if len(n.lots) >= 2 and not is_closed(ctx, n) and not ({n.uid, *n.also_in} & tracked)
    ]
    lots: dict[tuple[str, str], list[str]] = {
        (m.notice_uid, m.actor_id): list(m.lot_ids)
        for m in match_records.matches_of_notices(ctx.records, [n.uid for n in notices])
    }
    names = _names(ctx, {a for n in notices for a in by_notice[n.uid]})
    teams = [
        team
        for n in notices
        if (team := _team(n, sorted(by_notice[n.uid]), lots, names)) is not None
    ]
    return sorted(teams, key=lambda t: (_day(t.deadline), t.notice_uid))


def _team(
    notice: Notice,
    actor_ids: list[str],
    lots: dict[tuple[str, str], list[str]],
    names: dict[str, str],
) -> PossibleTeam | None:
    known = {lot.id for lot in notice.lots}
    covers = {a: [x for x in lots.get((notice.uid, a), []) if x in known] for a in actor_ids}
    union = {x for covered in covers.values() for x in covered}
    best = max((len(c) for c in covers.values()), default=0)
    if len(union) <= best:
        return None
    members = [
        TeamMemberLine(a, names.get(a, a), covers[a])
        for a in sorted(actor_ids, key=lambda a: (-len(covers[a]), names.get(a, a)))
    ]
    return PossibleTeam(
        notice_uid=notice.uid,
        title=notice.title,
        deadline=effective_deadline(notice),
        members=members,
        lots_covered=len(union),
        lots_total=len(notice.lots),
        best_single=best,
    )


def _day(deadline: date | datetime | None) -> date:
    if deadline is None:
        return date.max
    return deadline.date() if isinstance(deadline, datetime) else deadline


def _names(ctx: Context, actor_ids: set[str]) -> dict[str, str]:
    return {a.id: a.name for a in actor_records.get_actors(ctx.records, sorted(actor_ids))}


# --------------------------------------------------------------------------- interests


@dataclass(frozen=True)
class InterestResult:
    actor_id: str
    notice_uid: str
    #: False when the actor had already said so (nothing changed)
    created: bool


def express_interest(
    ctx: Context, user: User, notice_uid: str, actor_id: str | None = None
) -> InterestResult:
    """Record that an actor is interested in an open notice (idempotent).

    An actor account speaks for its own actor (`actor_id` may be omitted; another one is
    `NotFoundError`); staff with `grouped_bids.edit` record it for an actor of their
    territories (`actor_id` required). Other roles: `PermissionDeniedError`. A closed notice
    is a `ValidationError`.
    """
    own = own_actor(user)
    if own is not None and can(user, Permission.OWN_SPACE):
        if actor_id is not None and actor_id != own:
            raise NotFoundError(f"structure inconnue : {actor_id!r}")
        chosen = own
    elif can(user, Permission.GROUPED_BIDS_EDIT):
        if not actor_id or not visible_among(ctx, user, {actor_id}):
            raise NotFoundError(f"structure inconnue : {actor_id!r}")
        if not actor_records.get_actors(ctx.records, [actor_id]):
            raise NotFoundError(f"structure inconnue : {actor_id!r}")
        chosen = actor_id
    else:
        raise PermissionDeniedError(
            f"Votre rôle ({user.role.label}) ne permet pas de signaler un intérêt."
        )
    notice = get_notice(ctx, notice_uid)
    if is_closed(ctx, notice):
        raise ValidationError("cet avis est clos ou sa date limite est passée")
    created = interest_records.add_interest(
        ctx.records, chosen, notice.uid, user.id, ctx.now(), content_hash=notice.content_hash
    )
    return InterestResult(chosen, notice.uid, created)


@dataclass
class InterestedActor:
    actor: Actor
    interest: Interest
    #: the lots its stored match of the notice covers
    lots: list[str]


def interested_actors(ctx: Context, notice_uid: str, user: User) -> list[InterestedActor]:
    """The actors of the user's territories that said they were interested in the notice (or
    one of its duplicates), first said first; needs `grouped_bids.view`."""
    need_view(user)
    notice = get_notice(ctx, notice_uid)
    interests = interest_records.interests_of_notices(ctx.records, [notice.uid, *notice.also_in])
    visible = visible_among(ctx, user, {i.actor_id for i in interests})
    actors = {a.id: a for a in actor_records.get_actors(ctx.records, sorted(visible))}
    lots = {
        m.actor_id: list(m.lot_ids)
        for m in match_records.matches_of_notice(ctx.records, notice.uid)
    }
    seen: set[str] = set()
    out = []
    for interest in interests:
        if interest.actor_id in actors and interest.actor_id not in seen:
            seen.add(interest.actor_id)
            out.append(
                InterestedActor(
                    actors[interest.actor_id], interest, lots.get(interest.actor_id, [])
                )
            )
    return out
