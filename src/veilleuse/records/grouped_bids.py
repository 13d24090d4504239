"""The grouped-bid register: bids, their members and their audited history."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import select

from veilleuse.core.errors import RecordsError
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
    with records.session() as s:
        row = s.get(GroupedBidRow, bid_id)
        if row is None:
            raise RecordsError(f"grouped bid {bid_id} does not exist")
        row.status, row.updated_at = status.value, utcnow()
        if amount is not None:
            row.amount, row.currency = amount.amount, amount.currency
        s.add(GroupedBidEventRow(bid_id=bid_id, status=status.value, note=note, by=by))


def list_grouped_bids(records: Records) -> list[GroupedBid]:
    with records.session() as s:
        out = []
        for row in s.scalars(select(GroupedBidRow).order_by(GroupedBidRow.id)):
            events = s.scalars(
                select(GroupedBidEventRow)
                .where(GroupedBidEventRow.bid_id == row.id)
                .order_by(GroupedBidEventRow.id)
            )
            out.append(
                GroupedBid(
                    id=row.id,
                    notice_uid=row.notice_uid,
                    members=row.members,
                    lead=row.lead,
                    lots=row.lots,
                    status=GroupedBidStatus(row.status),
                    amount=Money(amount=row.amount, currency=row.currency or "EUR")
                    if row.amount
                    else None,
                    history=[
                        GroupedBidEvent(
                            at=e.at.replace(tzinfo=e.at.tzinfo or UTC),
                            status=GroupedBidStatus(e.status),
                            note=e.note,
                            by=e.by,
                        )
                        for e in events
                    ],
                )
            )
        return out
