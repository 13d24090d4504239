"""Delivery records: the outcome of each send of a logged e-mail, and the addresses a mail
server refused for good.

An address refused with a 5xx is undeliverable until an officer clears it: every mailing skips
it (`app.delivery.deliverable`), and the e-mail refused is `undeliverable` in `digests` (not
resent by the next run). Clearing the address makes those e-mails `failed` again, so the next
run resends them as they were logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, update

from veilleuse.core.errors import RecordsError
from veilleuse.records.db import Records
from veilleuse.records.tables import DigestRow, UndeliverableAddressRow, utcnow


def record_attempt(
    records: Records,
    digest_id: str,
    status: str,
    error: str | None = None,
    address: str | None = None,
) -> None:
    """The outcome of one send of a logged e-mail: its status (sent, failed, undeliverable),
    the error, the refused address; counts the attempt."""
    with records.session() as s:
        row = s.get(DigestRow, digest_id)
        if row is None:
            raise RecordsError(f"digest {digest_id} is not in the send log")
        row.status, row.error = status, error
        row.attempts = (row.attempts or 0) + 1
        if address is not None:
            row.address = address
        if status == "sent":
            row.sent_at = utcnow()


def mark_undeliverable(
    records: Records, refused: Mapping[str, tuple[int, str]], digest_id: str | None, at: datetime
) -> None:
    """Record each refused address (lower-case) as undeliverable, again if it had been cleared."""
    with records.session() as s:
        for address, (code, reason) in refused.items():
            key = address.strip().lower()
            row = s.get(UndeliverableAddressRow, key)
            if row is None:
                s.add(
                    UndeliverableAddressRow(
                        address=key, code=code, reason=reason[:2000], digest_id=digest_id,
                        marked_at=at,
                    )
                )  # fmt: skip
            else:
                row.code, row.reason, row.digest_id = code, reason[:2000], digest_id
                row.marked_at, row.cleared_at, row.cleared_by = at, None, None


def blocked_addresses(records: Records) -> set[str]:
    """Every address undeliverable now (not cleared), lower-case: one query."""
    query = select(UndeliverableAddressRow.address).where(
        UndeliverableAddressRow.cleared_at.is_(None)
    )
    with records.session() as s:
        return set(s.scalars(query))


@dataclass(frozen=True)
class UndeliverableAddress:
    address: str
    code: int | None
    reason: str
    digest_id: str | None
    marked_at: datetime
    #: e-mails refused at this address, waiting for it to be cleared
    waiting: int


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def undeliverable_addresses(records: Records) -> list[UndeliverableAddress]:
    """The addresses undeliverable now, latest first, with the e-mails waiting for each (two
    queries)."""
    with records.session() as s:
        rows = list(
            s.scalars(
                select(UndeliverableAddressRow)
                .where(UndeliverableAddressRow.cleared_at.is_(None))
                .order_by(UndeliverableAddressRow.marked_at.desc())
            )
        )
        waiting = dict(
            s.execute(
                select(DigestRow.address, func.count())
                .where(DigestRow.status == "undeliverable")
                .group_by(DigestRow.address)
            ).all()
        )
    return [
        UndeliverableAddress(
            r.address,
            r.code,
            r.reason,
            r.digest_id,
            _aware(r.marked_at),
            int(waiting.get(r.address, 0)),
        )
        for r in rows
    ]


def clear_address(records: Records, address: str, by: str | None, at: datetime) -> int:
    """The officer says the address works again: it is no longer skipped, and the e-mails
    refused there become `failed` (resent by the next run). Returns how many; `RecordsError`
    when the address is not undeliverable."""
    key = address.strip().lower()
    with records.session() as s:
        row = s.get(UndeliverableAddressRow, key)
        if row is None or row.cleared_at is not None:
            raise RecordsError(f"{key} is not an undeliverable address")
        row.cleared_at, row.cleared_by = at, by
        done = s.execute(
            update(DigestRow)
            .where(DigestRow.status == "undeliverable", DigestRow.address == key)
            .values(status="failed")
            .execution_options(synchronize_session=False)
        )
        return int(done.rowcount or 0)  # type: ignore[attr-defined]
