"""Saved searches and the alert send log: reserve before sending, confirm after, resend pending.

A saved search stores the query string of the search page (the same as the API's), how often
it alerts, up to when alerts have covered it (`sent_up_to`) and its unsubscribe token. An alert
e-mail (all of one user's due searches) is logged with its items and the moved `sent_up_to` in
one transaction before it is sent; the unique (search, notice) key of `alert_items` makes a
second announcement impossible, even when two runs race (the loser's transaction fails whole).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from veilleuse.core.errors import RecordsError
from veilleuse.records.db import Records
from veilleuse.records.tables import (
    AlertItemRow,
    AlertRow,
    SavedSearchRow,
    TerritoryRow,
    UserRow,
    utcnow,
)

TOKEN_BYTES = 32  # secrets.token_urlsafe(32): 43 characters


def _aware(value: datetime | None) -> datetime | None:
    """SQLite drops the UTC offset of stored instants; put it back."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


@dataclass(frozen=True)
class SavedSearchRecord:
    id: int
    user_id: int
    territory_id: str | None
    name: str
    query: str  # URL query string (app.search_params)
    frequency: str  # none, daily, weekly
    sent_up_to: datetime | None
    unsubscribe_token: str
    created_at: datetime


@dataclass(frozen=True)
class Recipient:
    """Who a user's alerts go to (read from the users table)."""

    user_id: int
    email: str
    name: str
    active: bool


@dataclass(frozen=True)
class PendingAlert:
    alert_id: str
    user_id: int
    message: str


def _record(row: SavedSearchRow) -> SavedSearchRecord:
    created = _aware(row.created_at)
    assert created is not None
    return SavedSearchRecord(
        id=row.id,
        user_id=row.user_id,
        territory_id=row.territory_id,
        name=row.name,
        query=row.query,
        frequency=row.frequency,
        sent_up_to=_aware(row.sent_up_to),
        unsubscribe_token=row.unsubscribe_token,
        created_at=created,
    )


# --------------------------------------------------------------------------- saved searches


def create_saved_search(
    records: Records,
    *,
    user_id: int,
    name: str,
    query: str,
    frequency: str,
    territory_id: str | None = None,
    now: datetime | None = None,
) -> SavedSearchRecord:
    """Store a search with a fresh unsubscribe token; alerts start from `now`."""
    with records.session() as s:
        row = SavedSearchRow(
            user_id=user_id,
            territory_id=territory_id,
            name=name,
            query=query,
            frequency=frequency,
            sent_up_to=None,
            unsubscribe_token=secrets.token_urlsafe(TOKEN_BYTES),
            created_at=now or utcnow(),
        )
        s.add(row)
        s.flush()
        return _record(row)


def get_saved_search(records: Records, search_id: int) -> SavedSearchRecord | None:
    with records.session() as s:
        row = s.get(SavedSearchRow, search_id)
        return _record(row) if row else None


def saved_search_by_token(records: Records, token: str) -> SavedSearchRecord | None:
    with records.session() as s:
        row = s.scalars(
            select(SavedSearchRow).where(SavedSearchRow.unsubscribe_token == token)
        ).first()
        return _record(row) if row else None


def list_saved_searches(records: Records, user_id: int) -> list[SavedSearchRecord]:
    """A user's saved searches, oldest first."""
    with records.session() as s:
        rows = s.scalars(
            select(SavedSearchRow)
            .where(SavedSearchRow.user_id == user_id)
            .order_by(SavedSearchRow.created_at, SavedSearchRow.id)
        )
        return [_record(r) for r in rows]


def update_saved_search(
    records: Records,
    search_id: int,
    *,
    name: str | None = None,
    query: str | None = None,
    frequency: str | None = None,
) -> SavedSearchRecord | None:
    """Change what is given; None when the search does not exist."""
    with records.session() as s:
        row = s.get(SavedSearchRow, search_id)
        if row is None:
            return None
        if name is not None:
            row.name = name
        if query is not None:
            row.query = query
        if frequency is not None:
            row.frequency = frequency
        s.flush()
        return _record(row)


def delete_saved_search(records: Records, search_id: int) -> bool:
    """Delete a search and its alert items (the alerts already sent stay in the log)."""
    with records.session() as s:
        s.execute(delete(AlertItemRow).where(AlertItemRow.search_id == search_id))
        done = s.execute(delete(SavedSearchRow).where(SavedSearchRow.id == search_id))
        return bool(getattr(done, "rowcount", 0))


def alerting_searches(records: Records) -> list[SavedSearchRecord]:
    """Every saved search that sends alerts (frequency other than none), by user then age."""
    with records.session() as s:
        rows = s.scalars(
            select(SavedSearchRow)
            .where(SavedSearchRow.frequency != "none")
            .order_by(SavedSearchRow.user_id, SavedSearchRow.created_at, SavedSearchRow.id)
        )
        return [_record(r) for r in rows]


def recipients(records: Records, user_ids: Iterable[int]) -> dict[int, Recipient]:
    """E-mail, name and active flag of each user (straight from the users table)."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return {}
    with records.session() as s:
        rows = s.execute(
            select(UserRow.id, UserRow.email, UserRow.name, UserRow.active).where(
                UserRow.id.in_(wanted)
            )
        )
        return {r.id: Recipient(r.id, r.email, r.name or "", bool(r.active)) for r in rows}


def territory_names(records: Records, territory_ids: Iterable[str | None]) -> dict[str, str]:
    """Name of each served territory among `territory_ids` (unknown and None left out)."""
    wanted = sorted({t for t in territory_ids if t})
    if not wanted:
        return {}
    with records.session() as s:
        rows = s.execute(
            select(TerritoryRow.id, TerritoryRow.name).where(TerritoryRow.id.in_(wanted))
        )
        return {r.id: r.name for r in rows}


# --------------------------------------------------------------------------- alert log


def announced_uids(records: Records, search_id: int) -> set[str]:
    """Every notice an alert of this search already carried (sent or pending)."""
    with records.session() as s:
        return set(
            s.scalars(select(AlertItemRow.notice_uid).where(AlertItemRow.search_id == search_id))
        )


def next_alert_id(records: Records, user_id: int, day: str) -> str:
    """'alert:<user>:<day>', then '#2', '#3'… when a user gets a second alert that day."""
    base = f"alert:{user_id}:{day}"
    with records.session() as s:
        taken = set(s.scalars(select(AlertRow.alert_id).where(AlertRow.alert_id.like(base + "%"))))
    if base not in taken:
        return base
    n = 2
    while f"{base}#{n}" in taken:
        n += 1
    return f"{base}#{n}"


def reserve_alert(
    records: Records,
    *,
    alert_id: str,
    user_id: int,
    message: str,
    items: Mapping[int, Iterable[str]],
    covered: Mapping[int, datetime],
    now: datetime,
) -> None:
    """Log an alert and its items as pending, and move each covered search's `sent_up_to`,
    in one transaction, before anything is sent. Raises RecordsError (nothing kept) when a
    notice was already announced by that search, e.g. by a concurrent run."""
    with records.session() as s:
        s.add(
            AlertRow(
                alert_id=alert_id,
                user_id=user_id,
                status="pending",
                message=message,
                created_at=now,
            )
        )
        s.flush()
        for search_id, uids in items.items():
            for uid in uids:
                s.add(AlertItemRow(search_id=search_id, notice_uid=uid, alert_id=alert_id))
        s.flush()
        _move(s, covered)


def move_sent_up_to(records: Records, covered: Mapping[int, datetime]) -> None:
    """Record that these searches were checked up to an instant and had nothing new."""
    with records.session() as s:
        _move(s, covered)


def _move(session: Session, covered: Mapping[int, datetime]) -> None:
    for search_id, instant in covered.items():
        session.execute(
            update(SavedSearchRow).where(SavedSearchRow.id == search_id).values(sent_up_to=instant)
        )


def mark_alert(records: Records, alert_id: str, status: str, error: str | None = None) -> None:
    with records.session() as s:
        row = s.get(AlertRow, alert_id)
        if row is None:
            raise RecordsError(f"alert {alert_id} is not in the send log")
        row.status, row.error = status, error
        if status == "sent":
            row.sent_at = utcnow()


def unsent_alerts(records: Records) -> list[PendingAlert]:
    """Alerts logged but not confirmed sent (a crash or a mail failure): resend them as they are."""
    with records.session() as s:
        rows = s.scalars(
            select(AlertRow)
            .where(AlertRow.status.in_(["pending", "failed"]))
            .order_by(AlertRow.created_at, AlertRow.alert_id)
        )
        return [PendingAlert(r.alert_id, r.user_id, r.message) for r in rows]


def alert_status(records: Records, alert_id: str) -> str | None:
    with records.session() as s:
        row = s.get(AlertRow, alert_id)
        return row.status if row else None
