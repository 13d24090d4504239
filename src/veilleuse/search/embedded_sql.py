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
from datetime import UTC, date, datetime, timedelta
from typing import Any

from veilleuse.core.models import Notice, deadline_instant
from veilleuse.core.territory import buyer_keys
from veilleuse.search import french_text
from veilleuse.search.store import (
    FACET_FIELDS,
    Filters,
    Sort,
    SortKey,
    buyer_key,
    deadline_bounds,
    deadline_bucket,
    estimated_amount_eur,
    flag_label,
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
-- what text search matches and ranks: the terms of `search.french_text` (stems, synonym groups,
-- CPV labels), the ones Elasticsearch indexes too; `notices_fts` above only draws highlights
CREATE VIRTUAL TABLE IF NOT EXISTS notices_fr USING fts5(
    title, body, cpv, tokenize = 'unicode61 remove_diacritics 0'
);
CREATE TABLE IF NOT EXISTS vectors (
    uid TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    vec BLOB NOT NULL,
    generation INTEGER NOT NULL DEFAULT 0
);
-- the département and CPV lists of each notice, one row per value, so a filter on them is an
-- index lookup instead of decoding the JSON of every notice; kept by the triggers below
CREATE TABLE IF NOT EXISTS notice_departements (
    dept TEXT NOT NULL, notice_rowid INTEGER NOT NULL, PRIMARY KEY (dept, notice_rowid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS notice_cpv (
    cpv TEXT NOT NULL, notice_rowid INTEGER NOT NULL, PRIMARY KEY (cpv, notice_rowid)
) WITHOUT ROWID;
-- the places of each notice's buyer (its postcode, its SIREN), for the buyer-area filter
CREATE TABLE IF NOT EXISTS notice_buyer_places (
    place TEXT NOT NULL, notice_rowid INTEGER NOT NULL, PRIMARY KEY (place, notice_rowid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value NOT NULL);
"""

# after the migration: the columns they read exist
TRIGGERS = """
-- the département and CPV rows of a notice are written by `write_lists` (a trigger reading NEW
-- copies the whole row, its document too: it doubled the time of a write); a deleted notice's
-- are removed here, whatever deletes it
DROP TRIGGER IF EXISTS notices_lists_insert;
DROP TRIGGER IF EXISTS notices_lists_update;
CREATE TRIGGER IF NOT EXISTS notices_lists_delete AFTER DELETE ON notices BEGIN
    DELETE FROM notice_departements WHERE notice_rowid = OLD.id;
    DELETE FROM notice_cpv WHERE notice_rowid = OLD.id;
    DELETE FROM notice_buyer_places WHERE notice_rowid = OLD.id;
END;
-- a removed vector invalidates the vector cache's rows (see `vector_array`)
CREATE TRIGGER IF NOT EXISTS vectors_removed AFTER DELETE ON vectors BEGIN
    UPDATE store_meta SET value = value + 1 WHERE key = 'vectors_removed';
END;
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
-- the scalar columns filters name most (`SCALAR_FILTERS`), kind and deadline first: "open tenders"
-- is a range of it (measured 50 ms → 1 ms for the ids of 13 600 of 100 000 notices)
CREATE INDEX IF NOT EXISTS notices_scalar ON notices(
    kind, deadline_at, source, status, reserved, social_clause
);
CREATE INDEX IF NOT EXISTS notice_departements_notice ON notice_departements(notice_rowid);
CREATE INDEX IF NOT EXISTS notice_cpv_notice ON notice_cpv(notice_rowid);
CREATE INDEX IF NOT EXISTS notice_buyer_places_notice ON notice_buyer_places(notice_rowid);
CREATE INDEX IF NOT EXISTS vectors_generation ON vectors(generation);
-- the ORDER BY of the common sorts, expression for expression (`order_by`), so a listing page
-- is read from an index instead of sorting the table: measured 40 ms → 0.01 ms on 20 000 notices
CREATE INDEX IF NOT EXISTS notices_by_deadline ON notices(
    deadline_at IS NULL, deadline_at, published IS NULL, published DESC, uid
);
CREATE INDEX IF NOT EXISTS notices_by_newest ON notices(
    published IS NULL, published DESC, deadline_at IS NULL, deadline_at, uid
);
CREATE INDEX IF NOT EXISTS notices_by_updated ON notices(updated_at IS NULL, updated_at, uid);
-- every column a filter or a facet reads, in id order, without the document (`NARROW`): a row's
-- columns stored after `doc` are read by walking the document's overflow pages, so reading the
-- facet columns of 100 000 notices took 670 ms from the table and 12 ms from this index
CREATE INDEX IF NOT EXISTS notices_narrow ON notices(
    id, kind, source, status, reserved, social_clause, deadline_at, departments, cpv, audiences,
    published, amount, buyer_key, updated_at, first_seen, uid
);
"""

#: the index holding every column `where` and `facets_sql` read (see `INDEXES`)
NARROW = "notices_narrow"
#: the index of the scalar columns, and the `Filters` fields it answers alone (`ids_from`)
SCALAR = "notices_scalar"
SCALAR_FILTERS = frozenset(
    {"kinds", "sources", "statuses", "deadline_from", "deadline_to", "reserved", "social_clause"}
)

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


#: `PRAGMA user_version` of a current file. 1: the département and CPV tables, the vector
#: generations and `store_meta` (a file before it reads 0); 2: the buyer places
SCHEMA_VERSION = 2


def write_lists(conn: sqlite3.Connection, rowid: int | None, notice: Notice, replace: bool) -> None:
    """The département, CPV and buyer-place rows of the notice stored at `rowid` (`replace`:
    it had some)."""
    if replace:
        conn.execute("DELETE FROM notice_departements WHERE notice_rowid = ?", (rowid,))
        conn.execute("DELETE FROM notice_cpv WHERE notice_rowid = ?", (rowid,))
        conn.execute("DELETE FROM notice_buyer_places WHERE notice_rowid = ?", (rowid,))
    conn.executemany(
        "INSERT OR IGNORE INTO notice_buyer_places (place, notice_rowid) VALUES (?, ?)",
        [(place, rowid) for place in buyer_places(notice)],
    )
    conn.executemany(
        "INSERT OR IGNORE INTO notice_departements (dept, notice_rowid) VALUES (?, ?)",
        [(dept, rowid) for dept in notice.all_departments()],
    )
    conn.executemany(
        "INSERT OR IGNORE INTO notice_cpv (cpv, notice_rowid) VALUES (?, ?)",
        [(code, rowid) for code in notice.all_cpv()],
    )


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Bring an older store file to the current schema in place; the names of what was added.

    Columns come first (`ADDED_COLUMNS`), then each schema version's step, in one transaction
    each, so a file opened by two processes at once or interrupted midway is migrated once.
    """
    added = _add_columns(conn)
    conn.execute("BEGIN IMMEDIATE")
    try:
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        if version < 1:
            added += _version_1(conn)
        if version < 2:
            added += _version_2(conn)
        if version < SCHEMA_VERSION:
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return added


def buyer_places(notice: Notice) -> list[str]:
    """What the buyer-area filter compares (`core.territory.buyer_keys`): the buyer's postcode
    and SIREN (its SIRET's first nine digits)."""
    buyer = notice.buyer
    places = [buyer.postcode or "", (buyer.siret or "")[:9]]
    return sorted({p for p in places if p})


def _version_2(conn: sqlite3.Connection) -> list[str]:
    """The buyer places filled from the stored documents."""
    conn.execute("DELETE FROM notice_buyer_places")
    conn.execute(
        "INSERT OR IGNORE INTO notice_buyer_places (place, notice_rowid) "
        "SELECT p, id FROM ("
        " SELECT json_extract(doc, '$.buyer.postcode') AS p, id FROM notices"
        " UNION ALL SELECT substr(json_extract(doc, '$.buyer.siret'), 1, 9), id FROM notices"
        ") WHERE p IS NOT NULL AND p != ''"
    )
    return ["notice_buyer_places"]


def _version_1(conn: sqlite3.Connection) -> list[str]:
    """The département and CPV tables filled from the notices' lists, the vector generations."""
    added = []
    if "generation" not in {row[1] for row in conn.execute("PRAGMA table_info(vectors)")}:
        conn.execute("ALTER TABLE vectors ADD COLUMN generation INTEGER NOT NULL DEFAULT 0")
        added.append("vectors.generation")
    conn.execute("DELETE FROM notice_departements")
    conn.execute("DELETE FROM notice_cpv")
    conn.execute(
        "INSERT OR IGNORE INTO notice_departements (dept, notice_rowid) "
        "SELECT j.value, n.id FROM notices n, json_each(n.departments) j"
    )
    conn.execute(
        "INSERT OR IGNORE INTO notice_cpv (cpv, notice_rowid) "
        "SELECT j.value, n.id FROM notices n, json_each(n.cpv) j"
    )
    conn.execute(
        "INSERT OR IGNORE INTO store_meta (key, value) VALUES "
        "('store_id', lower(hex(randomblob(8)))), ('vectors_generation', 0), "
        "('vectors_removed', 0)"
    )
    return [*added, "notice_departements", "notice_cpv"]


def _add_columns(conn: sqlite3.Connection) -> list[str]:
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
    """Translate the shared filter language into one SQL condition over alias `n`.

    Comparisons of a column come first and the tests that read a list or a text after them:
    SQLite evaluates the terms in order, so those run only on the rows the others kept (a
    département filter with a deadline one: 50 → 25 ms over 100 000 notices).
    """
    if filters is None or filters.is_empty():
        return "1=1", []
    clauses: list[str] = []
    params: list[Any] = []
    later: list[tuple[str, list[Any]]] = []

    def any_of(column: str, values: Sequence[str]) -> None:
        clauses.append(f"{column} IN ({','.join('?' * len(values))})")
        params.extend(values)

    # A list column is JSON written by `json.dumps`, so an element equal to a value (starting
    # with a prefix) contains the value's JSON text (without its closing quote): `instr` on the
    # text skips the rows that cannot match without decoding them (2 to 3 times faster over
    # 100 000 notices); json_each decides.
    def any_in_json(column: str, values: Sequence[str]) -> None:
        quick = " OR ".join(f"instr({column}, ?)" for _ in values)
        marks = ",".join("?" * len(values))
        later.append(
            (
                f"(({quick}) AND EXISTS "
                f"(SELECT 1 FROM json_each({column}) WHERE value IN ({marks})))",
                [*(json.dumps(v) for v in values), *values],
            )
        )

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
        marks = ",".join("?" * len(filters.departments))
        clauses.append(
            f"n.id IN (SELECT notice_rowid FROM notice_departements WHERE dept IN ({marks}))"
        )
        params.extend(filters.departments)
    if filters.audiences:
        any_in_json("n.audiences", filters.audiences)
    if filters.cpv_prefixes:
        ranges = [prefix_range(prefix) for prefix in filters.cpv_prefixes]
        ors = " OR ".join("(cpv >= ? AND cpv < ?)" for _ in ranges)
        clauses.append(f"n.id IN (SELECT notice_rowid FROM notice_cpv WHERE {ors})")
        params.extend(bound for pair in ranges for bound in pair)
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
        later.append(("instr(n.buyer_key, ?) > 0", [key]))
    if filters.buyer_areas:  # the buyer-place table's index, as for départements
        places = list(buyer_keys(filters.buyer_areas)) or [""]
        marks = ",".join("?" * len(places))
        clauses.append(
            f"n.id IN (SELECT notice_rowid FROM notice_buyer_places WHERE place IN ({marks}))"
        )
        params.extend(places)
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
    for clause, values in later:
        clauses.append(clause)
        params.extend(values)
    return " AND ".join(clauses), params


def prefix_range(prefix: str) -> tuple[str, str]:
    """The half-open text range of the strings starting with `prefix` (an index range scan)."""
    if not prefix:
        return "", "\U0010ffff"
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


def notices_from(filters: Filters | None) -> str:
    """The table reference of a selection of notices by `filters` (alias `n`).

    Filters are read from the narrow index (`NARROW`): a scan of it reads no document. Not when
    there is no filter (SQLite counts from its smallest index) or the filter names uids (the uid
    index finds them).
    """
    if filters is None or filters.is_empty() or filters.uids:
        return "notices n"
    return f"notices n INDEXED BY {NARROW}"


def ids_from(filters: Filters | None) -> str:
    """The table reference of a count or a list of the ids of the notices `filters` keep.

    A filter naming only scalar columns (`SCALAR_FILTERS`) reads their index alone: a range of
    it when it names kinds, a scan of a small index otherwise. Any other, `notices_from`.
    """
    named = (
        {name for name in type(filters).model_fields if getattr(filters, name) not in (None, [])}
        if filters is not None
        else set()
    )
    if named and named <= SCALAR_FILTERS:
        return f"notices n INDEXED BY {SCALAR}"
    return notices_from(filters)


def text_from(filters: Filters | None) -> str:
    """The table references of a text match (`notices_fr MATCH ?`) narrowed by `filters`.

    The match drives (`CROSS JOIN`): left to itself SQLite may walk the index of a filter (a
    kind) and test the match on each row, 10 to 20 times slower on 100 000 notices, minutes
    for a word most notices contain. Each matching notice is then read from the narrow index,
    unless the filter names uids (the uid index finds them).
    """
    if filters is not None and filters.uids:
        return "notices_fr JOIN notices n ON n.id = notices_fr.rowid"
    return f"notices_fr CROSS JOIN notices n INDEXED BY {NARROW} ON n.id = notices_fr.rowid"


#: bm25 weights of the `notices_fr` columns: Elasticsearch's boosts of the same fields
FR_BM25_WEIGHTS = ", ".join(str(w) for w in french_text.FRENCH_FIELDS.values())


def refresh_analysis(conn: sqlite3.Connection) -> int:
    """Re-index the analysed terms when the analysis or the synonym table changed since they
    were written (or the table is new): one transaction, so a reader sees old terms or new ones.
    Returns how many notices were analysed."""
    current = french_text.fingerprint()
    row = conn.execute("SELECT value FROM store_meta WHERE key = 'analysis'").fetchone()
    if row is not None and row[0] == current:
        return 0
    conn.execute("BEGIN IMMEDIATE")
    try:
        row = conn.execute("SELECT value FROM store_meta WHERE key = 'analysis'").fetchone()
        if row is not None and row[0] == current:  # another process did it meanwhile
            conn.rollback()
            return 0
        conn.execute("DELETE FROM notices_fr")
        done, last = 0, -1
        while batch := conn.execute(  # in batches: a large store never sits in memory
            "SELECT id, doc FROM notices WHERE id > ? ORDER BY id LIMIT 1000", (last,)
        ).fetchall():
            for rowid, doc in batch:
                insert_analysed(conn, rowid, Notice.model_validate_json(doc))
            done, last = done + len(batch), batch[-1][0]
        conn.execute(
            "INSERT INTO store_meta (key, value) VALUES ('analysis', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (current,),
        )
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return done


def insert_analysed(conn: sqlite3.Connection, rowid: int | None, notice: Notice) -> None:
    """The analysed terms of one stored notice (its row id) into `notices_fr`."""
    analysed = french_text.analyse_notice(notice)
    conn.execute(
        "INSERT INTO notices_fr (rowid, title, body, cpv) VALUES (?, ?, ?, ?)",
        (rowid, analysed.title, analysed.body, analysed.cpv),
    )


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


# --------------------------------------------------------------------------- facets

#: days from today on which the deadline buckets after "past" start (`store.deadline_bucket`;
#: `es_query.deadline_ranges` draws the same ones)
DEADLINE_BUCKET_STARTS = (0, 8, 31)


def _text(value: str) -> str:
    """An SQL string literal (facet labels are code constants, quoted all the same)."""
    return "'" + value.replace("'", "''") + "'"


def _flag_case(column: str) -> str:
    """The `flag_label` of a three-valued flag column."""
    return (
        f"CASE WHEN {column} IS NULL THEN {_text(flag_label(None))} "
        f"WHEN {column} THEN {_text(flag_label(True))} ELSE {_text(flag_label(False))} END"
    )


def _deadline_case(column: str, today: date) -> tuple[str, list[str]]:
    """The `deadline_bucket` of a stored deadline, and its parameters.

    Stored deadlines are fixed-width UTC text, compared as text with the UTC days on which the
    buckets start (a deadline on that day is not before it): `deadline_bucket` takes the UTC
    day of the stored instant. Each bucket is named by `deadline_bucket` itself.
    """
    day = timedelta(days=1)
    starts = [today + timedelta(days=days) for days in DEADLINE_BUCKET_STARTS]
    whens = " ".join(
        f"WHEN {column} < ? THEN {_text(deadline_bucket(start - day, today))}" for start in starts
    )
    case = (
        f"CASE WHEN {column} IS NULL THEN {_text(deadline_bucket(None, today))} {whens} "
        f"ELSE {_text(deadline_bucket(starts[-1], today))} END"
    )
    return case, [start.isoformat() for start in starts]


def facets_sql(matching: str, params: Sequence[Any], today: date) -> tuple[str, list[Any]]:
    """One statement counting every `FACET_FIELDS` facet over the notices `matching` selects.

    `matching` is the `FROM … WHERE …` of a selection over alias `n`; it is evaluated once (a
    materialised common table expression) and each facet is a `GROUP BY` over it. A value of a
    list column counts each notice once however often the notice lists it. Rows are
    (facet, value, count), values with no notice left out.
    """
    deadline, deadline_params = _deadline_case("deadline_at", today)
    scalar = {
        "source": "source",
        "kind": "kind",
        "status": "status",
        "reserved": _flag_case("reserved"),
        "social_clause": _flag_case("social_clause"),
        "deadline": deadline,
    }
    listed = {
        "department": ("departments", "j.value"),
        "cpv_division": ("cpv", "substr(j.value, 1, 2)"),
        "audience": ("audiences", "j.value"),
    }
    assert set(scalar) | set(listed) == set(FACET_FIELDS)
    parts = [
        f"SELECT {_text(name)}, {value}, count(*) FROM m GROUP BY 2"
        for name, value in scalar.items()
    ]
    parts += [
        f"SELECT {_text(name)}, {value}, count(DISTINCT m.id) FROM m, json_each(m.{column}) j "
        "GROUP BY 2"
        for name, (column, value) in listed.items()
    ]
    columns = ", ".join(
        f"n.{c}"
        for c in (
            "id", "source", "kind", "status", "reserved", "social_clause", "deadline_at",
            "departments", "cpv", "audiences",
        )
    )  # fmt: skip
    statement = f"WITH m AS MATERIALIZED (SELECT {columns} {matching}) " + " UNION ALL ".join(parts)
    return statement, [*params, *deadline_params]
