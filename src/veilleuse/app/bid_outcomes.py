"""Outcomes of grouped bids proposed from the award notices the sources bring.

When an award notice (BOAMP attribution, TED contract award, DECP record) of a bid's procedure
is stored, the open bid gets a `proposal` (`core.bids.OutcomeProposal`): the awardees, the
amount, `won` when a member is among the awardees, else `lost`. Which award belongs to which
procedure and who won is decided by `matching.outcomes` (keys of `spiders.dedup`, the notice
uids an award names, the buyer's own reference). Staff then confirm the proposal — the change
of stage is applied with the amount, through the stages the table requires when the register
still shows an earlier one (a win proves the bid was submitted) — or dismiss it (that award is
never proposed again for the bid).

`propose_outcomes` runs at the end of the index stage over the awards just stored
(`app.index.store_batches`), or over every stored award from a command or a flow. Only open
tender bids are considered; a pending proposal is replaced only by a `won` one (several awards
may each conclude some lots of one procedure: the lot a member won counts).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from veilleuse.app.context import Context
from veilleuse.app.grouped_bids import enum_value, need_edit, visible_bid
from veilleuse.core.accounts import User
from veilleuse.core.bids import BidFilters, BidKind, BidStage, GroupedBid, LossReason
from veilleuse.core.errors import ValidationError
from veilleuse.core.grouped_bids import StageChange, path_to
from veilleuse.core.models import Money, Notice, NoticeKind
from veilleuse.matching.outcomes import AwardKeys, procedure_keys, propose_outcome
from veilleuse.records import actors as actor_records
from veilleuse.records import grouped_bids as bid_records
from veilleuse.search.store import Filters
from veilleuse.spiders.dedup import keys as dedup_keys


@dataclass
class OutcomeReport:
    """What a run of `propose_outcomes` looked at and proposed."""

    awards: int = 0
    open_bids: int = 0
    #: ids of the bids that got a new (or a better) proposal
    proposed: list[int] = field(default_factory=list)


def _keys(notice: Notice) -> set[str]:
    return procedure_keys(notice, dedup_keys(notice))


def _bid_keys(ctx: Context, bids: Sequence[GroupedBid]) -> dict[int, set[str]]:
    """Bid id → the procedure keys of its notice and of the notice's duplicates (two reads)."""
    notices = {n.uid: n for n in ctx.store.get_many(sorted({b.notice_uid for b in bids}))}
    others = sorted({u for n in notices.values() for u in n.also_in} - set(notices))
    notices |= {n.uid: n for n in ctx.store.get_many(others)} if others else {}
    out: dict[int, set[str]] = {}
    for bid in bids:
        keys = {f"uid:{bid.notice_uid}"}
        notice = notices.get(bid.notice_uid)
        if notice is not None:
            keys |= _keys(notice)
            for uid in notice.also_in:
                if uid in notices:
                    keys |= _keys(notices[uid])
        out[bid.id or 0] = keys
    return out


def propose_outcomes(
    ctx: Context, awards: Sequence[Notice] | None = None, *, now: datetime | None = None
) -> OutcomeReport:
    """Attach outcome proposals to the open tender bids whose procedure `awards` conclude.

    `awards`: the award notices just stored (other kinds are ignored); None reads every stored
    award notice. A bounded number of reads: open bids, their notices and duplicates, actors.
    """
    now = now or ctx.now()
    bids = bid_records.list_grouped_bids(
        ctx.records, BidFilters(open_only=True, kinds=[BidKind.TENDER])
    )
    report = OutcomeReport(open_bids=len(bids))
    if not bids:
        return report
    if awards is None:
        awards = list(ctx.store.iter_notices(Filters(kinds=[NoticeKind.AWARD])))
    keyed = [AwardKeys(a, frozenset(_keys(a))) for a in awards if a.kind is NoticeKind.AWARD]
    report.awards = len(keyed)
    if not keyed:
        return report
    bid_keys = _bid_keys(ctx, bids)
    member_ids = sorted({a for b in bids for a in b.member_ids()})
    actors = {a.id: a for a in actor_records.get_actors(ctx.records, member_ids)}
    for bid in bids:
        members = {a: actors[a] for a in bid.member_ids() if a in actors}
        proposal = propose_outcome(bid_keys[bid.id or 0], keyed, members, now)
        if proposal is None or proposal.award_uid in bid.dismissed_awards:
            continue
        current = bid.proposal
        if current is not None and (
            current.award_uid == proposal.award_uid
            or not (current.outcome is BidStage.LOST and proposal.outcome is BidStage.WON)
        ):
            continue
        if bid_records.set_proposal(ctx.records, bid.id or 0, proposal) is not None:
            report.proposed.append(bid.id or 0)
    return report


def confirm_proposal(
    ctx: Context,
    user: User,
    bid_id: int,
    *,
    reason: LossReason | str | None = None,
    detail: str | None = None,
    amount_won: Money | float | None = None,
    shares: Mapping[str, float] | None = None,
    note: str | None = None,
) -> GroupedBid:
    """Apply the bid's pending proposal: move it to `won` or `lost`; return it.

    A win takes the award's amount unless `amount_won` is given, and needs every member's share
    (`shares`, or the members' stored shares); a loss needs its `reason` (and `detail` for
    `other`). From a stage before « candidature déposée », the stages in between are recorded
    too, in the same transaction. `ValidationError` when there is nothing to confirm or
    something is missing; nothing is written then.
    """
    need_edit(user)
    bid = visible_bid(ctx, user, bid_id)
    proposal = bid.proposal
    if proposal is None:
        raise ValidationError("aucun résultat n'est proposé pour ce groupement")
    source = f"d'après l'avis d'attribution {proposal.award_uid}"
    path = path_to(bid.stage, proposal.outcome)
    amount = Money(amount=amount_won) if isinstance(amount_won, int | float) else amount_won
    final = StageChange(
        proposal.outcome,
        note=(note or "").strip() or f"résultat confirmé {source}",
        reason=enum_value(LossReason, reason, "raison") if reason else None,
        detail=detail,
        amount_won=amount or proposal.amount,
        shares=shares,
    )
    changes = [StageChange(stage, note=f"déduit {source}") for stage in path[:-1]]
    return bid_records.move_grouped_bid(
        ctx.records,
        bid_id,
        [*changes, final],
        by=user.display_name,
        at=ctx.now(),
        expected=bid.stage,
    )


def dismiss_proposal(ctx: Context, user: User, bid_id: int) -> GroupedBid:
    """Set the pending proposal aside: that award is not this bid's (never proposed again)."""
    need_edit(user)
    visible_bid(ctx, user, bid_id)
    return bid_records.dismiss_proposal(ctx.records, bid_id)
