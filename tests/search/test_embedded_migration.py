"""An embedded store file written before the new filter columns is migrated in place on open.

The old file is built with the first schema's DDL (copied here) and rows as the old code wrote
them; the notices are constructed for the test.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

from veilleuse.core.models import Buyer, Money, Notice, NoticeKind
from veilleuse.search.embedded_store import EmbeddedStore
from veilleuse.search.store import Filters, Sort, SortKey

OLD_SCHEMA = """
CREATE TABLE notices (
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
    doc TEXT NOT NULL
);
CREATE INDEX notices_kind ON notices(kind);
CREATE VIRTUAL TABLE notices_fts USING fts5(
    title, body, tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TABLE vectors (
    uid TEXT PRIMARY KEY, model TEXT NOT NULL, content_hash TEXT NOT NULL, vec BLOB NOT NULL
);
"""

FIRST_SEEN = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)  # whole second: old text has no fraction


def old_file(path: Path) -> None:
    notices = [
        Notice(
            uid="boamp:1",
            source="boamp",
            native_id="1",
            kind=NoticeKind.TENDER,
            title="Entretien des espaces verts",
            buyer=Buyer(name="Métropole Européenne de Lille"),
            published=date(2026, 3, 1),
            estimated_value=Money(amount=80_000),
            social_clause=True,
        ),
        Notice(
            uid="boamp:2",
            source="boamp",
            native_id="2",
            kind=NoticeKind.FUNDING_CALL,
            title="Appel à projets insertion",
            audiences=["associations"],
        ),
    ]
    conn = sqlite3.connect(path)
    conn.executescript(OLD_SCHEMA)
    for rowid, notice in enumerate(notices, start=1):
        stored = notice.with_hash().model_copy(
            update={"first_seen": FIRST_SEEN, "last_seen": FIRST_SEEN}
        )
        conn.execute(
            "INSERT INTO notices VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                rowid,
                stored.uid,
                stored.source,
                stored.kind.value,
                stored.status.value,
                None,
                None,
                "[]",
                "[]",
                stored.content_hash,
                FIRST_SEEN.isoformat(),  # as the old code wrote it: no fixed width
                FIRST_SEEN.isoformat(),
                stored.model_dump_json(),
            ),
        )
        conn.execute(
            "INSERT INTO notices_fts (rowid, title, body) VALUES (?, ?, ?)",
            (rowid, stored.title, ""),
        )
    conn.commit()
    conn.close()


def test_old_file_gets_the_columns_backfilled_and_filters_work(tmp_path: Path) -> None:
    path = tmp_path / "notices.sqlite3"
    old_file(path)
    store = EmbeddedStore(path)
    try:
        assert store.count(Filters(buyer="europeenne")) == 1
        assert store.count(Filters(amount_min=50_000, social_clause=True)) == 1
        assert store.count(Filters(published_from=date(2026, 3, 1))) == 1
        assert store.count(Filters(audiences=["associations"])) == 1
        listing = store.search_text("", sort=Sort(key=SortKey.UPDATED))
        assert listing.total == 2
        assert {h.updated_at for h in listing.hits} == {FIRST_SEEN}  # backfilled: first seen
        assert store.count(Filters(first_seen_from=FIRST_SEEN)) == 2
        assert store.search_text("espaces").uids() == ["boamp:1"]
    finally:
        store.close()
    conn = sqlite3.connect(path)
    columns = {row[1] for row in conn.execute("PRAGMA table_info(notices)")}
    indexes = {row[1] for row in conn.execute("PRAGMA index_list(notices)")}
    stored = json.loads(
        conn.execute("SELECT audiences FROM notices WHERE uid='boamp:2'").fetchone()[0]
    )
    conn.close()
    assert {"published", "updated_at", "buyer_key", "amount", "social_clause"} <= columns
    assert "notices_updated" in indexes and stored == ["associations"]
    reopened = EmbeddedStore(path)  # a second open finds nothing to migrate
    try:
        assert reopened.count() == 2
    finally:
        reopened.close()
