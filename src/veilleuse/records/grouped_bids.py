"""The grouped-bid register: bids, their members and their audited history.

A change of status is checked against the rules of `core.grouped_bids` inside the transaction
that makes it, with the bid's row locked (on PostgreSQL), so two concurrent changes cannot both
pass the check; a refused change leaves the bid and its history as they were.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC

from sqlalchemy import select

from veilleuse.core.errors import NotFoundError
from veilleuse.core.grouped_bids import check_transition
from veilleuse.core.models import (
    GroupedBid,
    GroupedBidEvent,
    GroupedBidStatus,
    Money,
)
from veilleuse.records.db import Records
from veilleuse.records.tables import (
    GroupedBidEventRow,
    GroupedBidRow,
    utcnow,
)


def create_grouped_bid(records: Records, bid: GroupedBid, by: str | None = None) -> int:
    with records.session() as s:
        row = GroupedBidRow(
            notice_uid=bid.notice_uid,
            members=list(bid.members),
            lead=bid.lead,
            lots=list(bid.lots),
            status=bid.status.value,
            amount=bid.amount.amount if bid.amount else None,
            currency=bid.amount.currency if bid.amount else None,
        )
        s.add(row)
        s.flush()
        s.add(GroupedBidEventRow(bid_id=row.id, status=bid.status.value, by=by, note="créé"))
        return int(row.id)


def set_grouped_bid_status(
    records: Records,
    bid_id: int,
    status: GroupedBidStatus,
    note: str | None = None,
    by: str | None = None,
    amount: Money | None = None,
) -> None:
    """Move a bid to `status` and log the change.

    Raises `NotFoundError` for an unknown bid and `TransitionError` for a change the rules refuse.
    """
    with records.session() as s:
        row = s.get(GroupedBidRow, bid_id, with_for_update=True)
        if row is None:
            raise NotFoundError(f"grouped bid {bid_id} does not exist")
        check_transition(GroupedBidStatus(row.status), status)
        row.status, row.updated_at = status.value, utcnow()
        if amount is not None:
            row.amount, row.currency = amount.amount, amount.currency
        s.add(GroupedBidEventRow(bid_id=bid_id, status=status.value, note=note, by=by))


def list_grouped_bids(records: Records) -> list[GroupedBid]:
    """Every bid with its history, oldest first: two queries whatever the number of bids."""
    with records.session() as s:
        rows = list(s.scalars(select(GroupedBidRow).order_by(GroupedBidRow.id)))
        history: dict[int, list[GroupedBidEvent]] = defaultdict(list)
        for e in s.scalars(select(GroupedBidEventRow).order_by(GroupedBidEventRow.id)):
            history[e.bid_id].append(
                GroupedBidEvent(
                    at=e.at.replace(tzinfo=e.at.tzinfo or UTC),
                    status=GroupedBidStatus(e.status),
                    note=e.note,
                    by=e.by,
                )
            )
        return [
            GroupedBid(
                id=row.id,
                notice_uid=row.notice_uid,
                members=row.members,
                lead=row.lead,
                lots=row.lots,
                status=GroupedBidStatus(row.status),
                amount=Money(amount=row.amount, currency=row.currency or "EUR")
                if row.amount is not None
                else None,
                history=history[row.id],
            )
            for row in rows
        ]
