"""The SQL side of the embedded store: schema, in-place migration, the filter language and sorts.

One row per notice holds the JSON document plus the columns filters, sorts and facets read. A
column added after a store file was created is added on open (`ALTER TABLE … ADD COLUMN`) and
backfilled from the stored documents, so an existing `notices.sqlite3` keeps working without a
re-index. Instants are stored as fixed-width UTC text (`iso_utc`, `iso_utc_us`), so SQLite can
compare them as strings and use indexes.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from veilleuse.core.models import Notice, deadline_instant
from veilleuse.search.store import (
    Filters,
    Sort,
    SortKey,
    buyer_key,
    deadline_bounds,
    estimated_amount_eur,
)

TABLES = """
CREATE TABLE IF NOT EXISTS notices (
    id INTEGER PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    reserved INTEGER,
    deadline_at TEXT,
    departments TEXT NOT NULL,
    cpv TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    first_seen TEXT,
    last_seen TEXT,
    doc TEXT NOT NULL,
    published TEXT,
    updated_at TEXT,
    buyer_key TEXT,
    amount REAL,
    social_clause INTEGER,
    audiences TEXT NOT NULL DEFAULT '[]'
);
CREATE VIRTUAL TABLE IF NOT EXISTS notices_fts USING fts5(
    title, body, tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS vectors (
    uid TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    vec BLOB NOT NULL
);
"""

# created after the migration, so that an old file has the columns before they are indexed
INDEXES = """
CREATE INDEX IF NOT EXISTS notices_kind ON notices(kind);
CREATE INDEX IF NOT EXISTS notices_source ON notices(source);
CREATE INDEX IF NOT EXISTS notices_deadline ON notices(deadline_at);
CREATE INDEX IF NOT EXISTS notices_published ON notices(published);
CREATE INDEX IF NOT EXISTS notices_updated ON notices(updated_at);
CREATE INDEX IF NOT EXISTS notices_first_seen ON notices(first_seen);
CREATE INDEX IF NOT EXISTS notices_amount ON notices(amount);
-- the ORDER BY of the common sorts, expression for expression (`order_by`), so a listing page
-- is read from an index instead of sorting the table: measured 40 ms → 0.01 ms on 20 000 notices
CREATE INDEX IF NOT EXISTS notices_by_deadline ON notices(
    deadline_at IS NULL, deadline_at, published IS NULL, published DESC, uid
);
CREATE INDEX IF NOT EXISTS notices_by_newest ON notices(
    published IS NULL, published DESC, deadline_at IS NULL, deadline_at, uid
);
CREATE INDEX IF NOT EXISTS notices_by_updated ON notices(updated_at IS NULL, updated_at, uid);
"""

#: columns added after the first schema, with their SQL type (the migration adds them)
ADDED_COLUMNS = {
    "published": "TEXT",
    "updated_at": "TEXT",
    "buyer_key": "TEXT",
    "amount": "REAL",
    "social_clause": "INTEGER",
    "audiences": "TEXT NOT NULL DEFAULT '[]'",
}

COLUMNS = (
    "uid",
    "source",
    "kind",
    "status",
    "reserved",
    "deadline_at",
    "departments",
    "cpv",
    "content_hash",
    "first_seen",
    "last_seen",
    "doc",
    "published",
    "updated_at",
    "buyer_key",
    "amount",
    "social_clause",
    "audiences",
)


def iso_utc(value: datetime) -> str:
    """Fixed-width UTC text to the second (deadlines), comparable as a string."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def iso_utc_us(value: datetime) -> str:
    """Fixed-width UTC text to the microsecond (first seen, updated at), comparable as a string."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(value)


def row_values(
    notice: Notice, first_seen: datetime, now: datetime, updated_at: datetime
) -> tuple[Any, ...]:
    """The column values of a stored notice, in `COLUMNS` order."""
    instant = deadline_instant(notice.deadline)
    return (
        notice.uid,
        notice.source,
        notice.kind.value,
        notice.status.value,
        _flag(notice.reserved),
        iso_utc(instant) if instant else None,
        json.dumps(notice.all_departments()),
        json.dumps(notice.all_cpv()),
        notice.content_hash,
        iso_utc_us(first_seen),
        iso_utc_us(now),
        notice.model_dump_json(),
        notice.published.isoformat() if notice.published else None,
        iso_utc_us(updated_at),
        buyer_key(notice.buyer.name) or None,
        estimated_amount_eur(notice),
        _flag(notice.social_clause),
        json.dumps(notice.audiences),
    )


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Add the columns an older store file lacks and fill them from the stored documents.

    `updated_at` of an existing notice is unknown: it is backfilled with its first sighting
    (the content may have changed since; a changes feed starts at the migration anyway).
    Returns the names of the columns added (empty when the file was current).
    """
    present = {row[1] for row in conn.execute("PRAGMA table_info(notices)")}
    missing = [name for name in ADDED_COLUMNS if name not in present]
    if not missing:
        return []
    with conn:
        for name in missing:
            conn.execute(f"ALTER TABLE notices ADD COLUMN {name} {ADDED_COLUMNS[name]}")
        rows = conn.execute("SELECT id, doc, first_seen, last_seen FROM notices").fetchall()
        for rowid, doc, first_seen, last_seen in rows:
            notice = Notice.model_validate_json(doc)
            first, last = _parse_instant(first_seen), _parse_instant(last_seen)
            updated = first or last
            conn.execute(
                "UPDATE notices SET published = ?, updated_at = ?, buyer_key = ?, amount = ?, "
                "social_clause = ?, audiences = ?, first_seen = ?, last_seen = ? WHERE id = ?",
                (
                    notice.published.isoformat() if notice.published else None,
                    iso_utc_us(updated) if updated else None,
                    buyer_key(notice.buyer.name) or None,
                    estimated_amount_eur(notice),
                    _flag(notice.social_clause),
                    json.dumps(notice.audiences),
                    iso_utc_us(first) if first else None,
                    iso_utc_us(last) if last else None,
                    rowid,
                ),
            )
    return missing


def _parse_instant(text: str | None) -> datetime | None:
    if not text:
        return None
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# --------------------------------------------------------------------------- filters and sorts


def where(filters: Filters | None) -> tuple[str, list[Any]]:
    """Translate the shared filter language into one SQL condition over alias `n`."""
    if filters is None or filters.is_empty():
        return "1=1", []
    clauses: list[str] = []
    params: list[Any] = []

    def any_of(column: str, values: Sequence[str]) -> None:
        clauses.append(f"{column} IN ({','.join('?' * len(values))})")
        params.extend(values)

    def any_in_json(column: str, values: Sequence[str]) -> None:
        marks = ",".join("?" * len(values))
        clauses.append(f"EXISTS (SELECT 1 FROM json_each({column}) WHERE value IN ({marks}))")
        params.extend(values)

    def compare(column: str, operator: str, value: Any) -> None:
        clauses.append(f"{column} {operator} ?")
        params.append(value)

    if filters.kinds:
        any_of("n.kind", [k.value for k in filters.kinds])
    if filters.sources:
        any_of("n.source", filters.sources)
    if filters.statuses:
        any_of("n.status", [s.value for s in filters.statuses])
    if filters.uids:
        any_of("n.uid", filters.uids)
    if filters.departments:
        any_in_json("n.departments", filters.departments)
    if filters.audiences:
        any_in_json("n.audiences", filters.audiences)
    if filters.cpv_prefixes:
        ors = " OR ".join("substr(value, 1, ?) = ?" for _ in filters.cpv_prefixes)
        clauses.append(f"EXISTS (SELECT 1 FROM json_each(n.cpv) WHERE {ors})")
        for prefix in filters.cpv_prefixes:
            params += [len(prefix), prefix]
    if filters.reserved is not None:
        compare("n.reserved", "=", int(filters.reserved))
    if filters.social_clause is not None:
        compare("n.social_clause", "=", int(filters.social_clause))
    low, high = deadline_bounds(filters)
    if low is not None:
        compare("n.deadline_at", ">=", iso_utc(low))
    if high is not None:
        compare("n.deadline_at", "<=", iso_utc(high))
    key = buyer_key(filters.buyer)
    if key:
        clauses.append("instr(n.buyer_key, ?) > 0")
        params.append(key)
    if filters.amount_min is not None:
        compare("n.amount", ">=", filters.amount_min)
    if filters.amount_max is not None:
        compare("n.amount", "<=", filters.amount_max)
    if filters.published_from is not None:
        compare("n.published", ">=", _day(filters.published_from))
    if filters.published_to is not None:
        compare("n.published", "<=", _day(filters.published_to))
    if filters.updated_since is not None:
        compare("n.updated_at", ">=", iso_utc_us(filters.updated_since))
    if filters.first_seen_from is not None:
        compare("n.first_seen", ">=", iso_utc_us(filters.first_seen_from))
    if filters.first_seen_before is not None:
        compare("n.first_seen", "<", iso_utc_us(filters.first_seen_before))
    return " AND ".join(clauses), params


def _day(value: date) -> str:
    return (value.date() if isinstance(value, datetime) else value).isoformat()


def _column(name: str, descending: bool) -> str:
    """Missing values last in both directions, like `store.sort_hits`."""
    return f"n.{name} IS NULL, n.{name} {'DESC' if descending else 'ASC'}"


def order_by(sort: Sort) -> str:
    """The ORDER BY of a non-relevance sort (ties as `store.Sort` says)."""
    if sort.key is SortKey.DEADLINE:
        parts = [_column("deadline_at", sort.descending), _column("published", True)]
    elif sort.key is SortKey.PUBLISHED:
        parts = [_column("published", sort.descending), _column("deadline_at", False)]
    elif sort.key is SortKey.UPDATED:
        parts = [_column("updated_at", sort.descending)]
    else:
        raise ValueError("relevance is ordered by score, not by a column")
    return ", ".join([*parts, "n.uid"])
