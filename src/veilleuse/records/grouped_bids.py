"""The grouped-bid register: bids, their members and their audited history.

A change of stage is checked against the rules of `core.grouped_bids` inside the transaction that
makes it, with the bid's row locked (`with_for_update` on PostgreSQL), and it is written only if
the stage it was checked against is still the stored one (a compare-and-set on `stage`, which also
holds on SQLite, where rows are not locked): of two people moving the same bid at once, one wins
and the other gets a `TransitionError`. A refused change leaves the bid and its history as they
were. Reading a bid costs three queries (bid, members, events); a list as many, whatever its
length.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from veilleuse.core.bids import (
    BidEvent,
    BidFilters,
    BidForm,
    BidKind,
    BidMember,
    BidStage,
    BidUpdate,
    GroupedBid,
    LossReason,
    MemberRole,
    OutcomeProposal,
)
from veilleuse.core.errors import NotFoundError, ValidationError
from veilleuse.core.grouped_bids import (
    StageChange,
    apply_changes,
    apply_update,
    changed_meanwhile,
    check_new_bid,
    open_stages,
)
from veilleuse.core.models import Money
from veilleuse.core.normalise import PARIS
from veilleuse.records.db import Records
from veilleuse.records.tables import (
    GroupedBidEventRow,
    GroupedBidMemberRow,
    GroupedBidRow,
    utcnow,
)

#: the note of the first event of every bid
CREATED_NOTE = "créée"
#: what a change of stage writes, and what an edit of the details writes: each writes only its
#: own columns, so neither undoes a concurrent write of the other (the rows are not locked on
#: SQLite)
_MOVE_COLUMNS = frozenset(
    {"stage", "amount_won", "currency", "loss_reason", "loss_detail", "proposal"}
)
_DETAIL_COLUMNS = frozenset(
    {"title", "form", "contact_name", "contact_email", "documents", "notes"}
)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value  # SQLite drops it


# --------------------------------------------------------------------------- rows ↔ model


def _member(row: GroupedBidMemberRow) -> BidMember:
    return BidMember(
        actor_id=row.actor_id,
        role=MemberRole(row.role),
        lots=list(row.lots or []),
        share_percent=row.share_percent,
    )


def _event(row: GroupedBidEventRow) -> BidEvent:
    return BidEvent(
        at=_aware(row.at),
        by=row.by,
        from_stage=BidStage(row.from_stage) if row.from_stage else None,
        to_stage=BidStage(row.to_stage),
        note=row.note,
        reason=LossReason(row.reason) if row.reason else None,
    )


def _bid(row: GroupedBidRow, members: list[BidMember], history: list[BidEvent]) -> GroupedBid:
    return GroupedBid(
        id=row.id,
        kind=BidKind(row.kind),
        notice_uid=row.notice_uid,
        territory_id=row.territory_id,
        title=row.title or "",
        stage=BidStage(row.stage),
        members=members,
        form=BidForm(row.form) if row.form else None,
        contact_name=row.contact_name,
        contact_email=row.contact_email,
        documents=list(row.documents or []),
        notes=row.notes,
        amount_won=Money(amount=row.amount_won, currency=row.currency or "EUR")
        if row.amount_won is not None
        else None,
        loss_reason=LossReason(row.loss_reason) if row.loss_reason else None,
        loss_detail=row.loss_detail,
        from_suggestion=bool(row.from_suggestion),
        created_at=_aware(row.created_at),
        updated_at=_aware(row.updated_at),
        history=history,
        proposal=OutcomeProposal.model_validate(row.proposal) if row.proposal else None,
        dismissed_awards=list(row.dismissed_awards or []),
    )


def _columns(bid: GroupedBid) -> dict[str, Any]:
    """The bid's own columns (not its id, members nor history)."""
    return {
        "kind": bid.kind.value,
        "notice_uid": bid.notice_uid,
        "territory_id": bid.territory_id,
        "title": bid.title,
        "stage": bid.stage.value,
        "form": bid.form.value if bid.form else None,
        "contact_name": bid.contact_name,
        "contact_email": bid.contact_email,
        "documents": list(bid.documents),
        "notes": bid.notes,
        "amount_won": bid.amount_won.amount if bid.amount_won else None,
        "currency": bid.amount_won.currency if bid.amount_won else None,
        "loss_reason": bid.loss_reason.value if bid.loss_reason else None,
        "loss_detail": bid.loss_detail,
        "from_suggestion": bid.from_suggestion,
        "proposal": bid.proposal.model_dump(mode="json") if bid.proposal else None,
        "dismissed_awards": list(bid.dismissed_awards),
    }


def _member_rows(bid_id: int, members: Sequence[BidMember]) -> list[GroupedBidMemberRow]:
    return [
        GroupedBidMemberRow(
            bid_id=bid_id,
            actor_id=m.actor_id,
            position=position,
            role=m.role.value,
            lots=list(m.lots),
            share_percent=m.share_percent,
        )
        for position, m in enumerate(members)
    ]


def _event_row(bid_id: int, event: BidEvent) -> GroupedBidEventRow:
    return GroupedBidEventRow(
        bid_id=bid_id,
        at=event.at,
        by=event.by,
        from_stage=event.from_stage.value if event.from_stage else None,
        to_stage=event.to_stage.value,
        note=event.note,
        reason=event.reason.value if event.reason else None,
    )


def _load(s: Session, rows: list[GroupedBidRow]) -> list[GroupedBid]:
    """The bids of `rows` with their members and history: two more queries, whatever the count."""
    ids = [r.id for r in rows]
    members: dict[int, list[BidMember]] = defaultdict(list)
    history: dict[int, list[BidEvent]] = defaultdict(list)
    if ids:
        member_query = (
            select(GroupedBidMemberRow)
            .where(GroupedBidMemberRow.bid_id.in_(ids))
            .order_by(GroupedBidMemberRow.bid_id, GroupedBidMemberRow.position)
        )
        for m in s.scalars(member_query):
            members[m.bid_id].append(_member(m))
        event_query = (
            select(GroupedBidEventRow)
            .where(GroupedBidEventRow.bid_id.in_(ids))
            .order_by(GroupedBidEventRow.id)
        )
        for e in s.scalars(event_query):
            history[e.bid_id].append(_event(e))
    return [_bid(r, members[r.id], history[r.id]) for r in rows]


def _locked(s: Session, bid_id: int) -> GroupedBid:
    """The bid as stored, its row locked until the transaction ends (PostgreSQL)."""
    row = s.get(GroupedBidRow, bid_id, with_for_update=True)
    if row is None:
        raise NotFoundError(f"candidature groupée inconnue : {bid_id}")
    return _load(s, [row])[0]


# --------------------------------------------------------------------------- writing


def create_grouped_bid(
    records: Records, bid: GroupedBid, *, by: str | None = None, at: datetime | None = None
) -> GroupedBid:
    """Store a new bid (its id is ignored), its members and its first event; return it stored.

    Raises `ValidationError` when the bid may not be created as it is (`core.grouped_bids.
    check_new_bid`: an initial stage, a valid team).
    """
    check_new_bid(bid)
    at = (at or utcnow()).astimezone(UTC)
    with records.session() as s:
        row = GroupedBidRow(**_columns(bid), created_at=at, updated_at=at)
        s.add(row)
        s.flush()
        s.add_all(_member_rows(row.id, bid.members))
        s.add(_event_row(row.id, BidEvent(at=at, by=by, to_stage=bid.stage, note=CREATED_NOTE)))
        s.flush()
        return _load(s, [row])[0]


def move_grouped_bid(
    records: Records,
    bid_id: int,
    changes: Sequence[StageChange],
    *,
    by: str | None = None,
    at: datetime | None = None,
    expected: BidStage | None = None,
) -> GroupedBid:
    """Apply changes of stage (usually one) in one transaction and log each; return the bid.

    The rule of `core.grouped_bids.apply_changes` is checked inside the transaction, against the
    stored bid. Raises `NotFoundError` for an unknown bid, `TransitionError` for a change the
    table refuses (also when another change moved the bid since it was read, or when the bid is
    no longer at `expected`, the stage the person saw), `ValidationError` for a change lacking
    what it requires. Nothing is written unless every change passes.
    """
    at = (at or utcnow()).astimezone(UTC)
    with records.session() as s:
        before = _locked(s, bid_id)
        if expected is not None and before.stage is not expected and changes:
            raise changed_meanwhile(expected, before.stage, changes[0].to_stage)
        after = apply_changes(before, changes, at, by)
        columns = {k: v for k, v in _columns(after).items() if k in _MOVE_COLUMNS}
        written = s.execute(
            update(GroupedBidRow)
            .where(GroupedBidRow.id == bid_id, GroupedBidRow.stage == before.stage.value)
            .values(**columns, updated_at=at)
            .execution_options(synchronize_session=False)
        )
        if written.rowcount != 1:  # type: ignore[attr-defined]
            s.rollback()
            stage = s.scalar(select(GroupedBidRow.stage).where(GroupedBidRow.id == bid_id))
            raise changed_meanwhile(before.stage, BidStage(stage or ""), changes[0].to_stage)
        for member in after.members:  # a win sets the shares, nothing else of the team
            if member not in before.members:
                s.execute(
                    update(GroupedBidMemberRow)
                    .where(
                        GroupedBidMemberRow.bid_id == bid_id,
                        GroupedBidMemberRow.actor_id == member.actor_id,
                    )
                    .values(share_percent=member.share_percent)
                    .execution_options(synchronize_session=False)
                )
        s.add_all(_event_row(bid_id, e) for e in after.history[len(before.history) :])
    return after


def _replace_members(s: Session, bid_id: int, members: Sequence[BidMember]) -> None:
    for row in s.scalars(select(GroupedBidMemberRow).where(GroupedBidMemberRow.bid_id == bid_id)):
        s.delete(row)
    s.flush()
    s.add_all(_member_rows(bid_id, members))


def update_grouped_bid(
    records: Records, bid_id: int, changes: BidUpdate, *, at: datetime | None = None
) -> GroupedBid:
    """Change a bid's details (title, team, form, contact, documents, notes); return the bid.

    Checked by `core.grouped_bids.apply_update` inside the transaction, the row locked: raises
    `NotFoundError` for an unknown bid and `ValidationError` for invalid details, or when the
    bid changed stage since it was read (the team checked against the old stage). The stage
    and the history are not touched.
    """
    at = (at or utcnow()).astimezone(UTC)
    with records.session() as s:
        before = _locked(s, bid_id)
        after = apply_update(before, changes, at)
        if after is before:
            return before
        columns = {k: v for k, v in _columns(after).items() if k in _DETAIL_COLUMNS}
        written = s.execute(
            update(GroupedBidRow)
            .where(GroupedBidRow.id == bid_id, GroupedBidRow.stage == before.stage.value)
            .values(**columns, updated_at=at)
            .execution_options(synchronize_session=False)
        )
        if written.rowcount != 1:  # type: ignore[attr-defined]
            raise ValidationError(
                "le groupement vient de changer d'étape : rechargez-le avant de le modifier"
            )
        if after.members != before.members:
            _replace_members(s, bid_id, after.members)
    return after


def set_proposal(
    records: Records, bid_id: int, proposal: OutcomeProposal | None
) -> GroupedBid | None:
    """Attach an outcome proposal to an open bid (None clears it); return the bid.

    Returns None, writing nothing, when the bid is terminal or the award was dismissed for it
    (a late proposal never reopens a decided bid). Raises `NotFoundError` for an unknown bid.
    """
    with records.session() as s:
        bid = _locked(s, bid_id)
        if proposal is not None and (
            not bid.is_open() or proposal.award_uid in bid.dismissed_awards
        ):
            return None
        value = proposal.model_dump(mode="json") if proposal else None
        s.execute(
            update(GroupedBidRow)
            .where(GroupedBidRow.id == bid_id)
            .values(proposal=value)
            .execution_options(synchronize_session=False)
        )
        return bid.model_copy(update={"proposal": proposal})


def dismiss_proposal(records: Records, bid_id: int) -> GroupedBid:
    """Clear the bid's proposal and remember its award as not this bid's; return the bid.

    Raises `NotFoundError` for an unknown bid; a bid without proposal is returned unchanged.
    """
    with records.session() as s:
        bid = _locked(s, bid_id)
        if bid.proposal is None:
            return bid
        dismissed = [*bid.dismissed_awards, bid.proposal.award_uid]
        s.execute(
            update(GroupedBidRow)
            .where(GroupedBidRow.id == bid_id)
            .values(proposal=None, dismissed_awards=dismissed)
            .execution_options(synchronize_session=False)
        )
        return bid.model_copy(update={"proposal": None, "dismissed_awards": dismissed})


# --------------------------------------------------------------------------- reading


def get_grouped_bid(records: Records, bid_id: int) -> GroupedBid | None:
    """One bid with its members and history (three queries), or None."""
    with records.session() as s:
        row = s.get(GroupedBidRow, bid_id)
        return _load(s, [row])[0] if row is not None else None


def _bound(value: date | datetime, upper: bool) -> datetime:
    """An instant from a filter bound: a day covers all of it (Paris time)."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    day = value + timedelta(days=1) if upper else value
    return datetime.combine(day, time(), PARIS).astimezone(UTC)


def _range(
    column: Any, low: date | datetime | None, high: date | datetime | None
) -> list[ColumnElement[bool]]:
    where = []
    if low is not None:
        where.append(column >= _bound(low, upper=False))
    if high is not None:
        bound = _bound(high, upper=True)
        where.append(column < bound if not isinstance(high, datetime) else column <= bound)
    return where


def _where(filters: BidFilters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if filters.territories is not None:
        where.append(GroupedBidRow.territory_id.in_(filters.territories))
    if filters.stages:
        where.append(GroupedBidRow.stage.in_([s.value for s in filters.stages]))
    if filters.open_only:
        where.append(GroupedBidRow.stage.in_([s.value for s in open_stages()]))
    if filters.kinds:
        where.append(GroupedBidRow.kind.in_([k.value for k in filters.kinds]))
    if filters.notice_uids:
        where.append(GroupedBidRow.notice_uid.in_(filters.notice_uids))
    if filters.from_suggestion is not None:
        where.append(GroupedBidRow.from_suggestion.is_(filters.from_suggestion))
    if filters.actor_ids:
        members = select(GroupedBidMemberRow.bid_id).where(
            GroupedBidMemberRow.actor_id.in_(filters.actor_ids)
        )
        where.append(GroupedBidRow.id.in_(members))
    where += _range(GroupedBidRow.created_at, filters.created_from, filters.created_to)
    where += _range(GroupedBidRow.updated_at, filters.updated_from, filters.updated_to)
    return where


def list_grouped_bids(records: Records, filters: BidFilters | None = None) -> list[GroupedBid]:
    """The bids `filters` select, oldest first, with members and history: three queries."""
    filters = filters or BidFilters()
    query = select(GroupedBidRow).where(*_where(filters)).order_by(GroupedBidRow.id)
    query = query.offset(filters.offset)
    if filters.limit is not None:
        query = query.limit(filters.limit)
    with records.session() as s:
        return _load(s, list(s.scalars(query)))


def count_grouped_bids(records: Records, filters: BidFilters | None = None) -> int:
    """How many bids `filters` select (paging ignored): one query."""
    filters = filters or BidFilters()
    query = select(func.count()).select_from(GroupedBidRow).where(*_where(filters))
    with records.session() as s:
        return int(s.scalar(query) or 0)


def open_bid_notices(records: Records, kinds: Sequence[BidKind] = ()) -> dict[int, str]:
    """Bid id → notice uid of every open bid (of these kinds): one query, no members."""
    query = select(GroupedBidRow.id, GroupedBidRow.notice_uid).where(
        GroupedBidRow.stage.in_([s.value for s in open_stages()])
    )
    if kinds:
        query = query.where(GroupedBidRow.kind.in_([k.value for k in kinds]))
    with records.session() as s:
        return {bid_id: uid for bid_id, uid in s.execute(query.order_by(GroupedBidRow.id))}
