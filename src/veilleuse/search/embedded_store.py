"""The embedded notice store: one SQLite file, FTS5 for text, exact cosine search in numpy.

It is the default (no server to run) and the reference the Elasticsearch store is checked against
by the shared contract suite. Text is indexed with `unicode61 remove_diacritics 2`, so "collège"
and "COLLEGE" match; ranking is BM25 with the title weighted above the body.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from veilleuse.core.errors import StoreError
from veilleuse.core.models import Notice, deadline_instant
from veilleuse.search.store import (
    DuplicatePolicy,
    Filters,
    Hit,
    SearchResult,
    WriteReport,
    deadline_bounds,
    deadline_bucket,
    reciprocal_rank_fusion,
)

_SCHEMA = """
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
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS notices_kind ON notices(kind);
CREATE INDEX IF NOT EXISTS notices_source ON notices(source);
CREATE INDEX IF NOT EXISTS notices_deadline ON notices(deadline_at);
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

_WORD = re.compile(r"\w+", re.UNICODE)
_BM25_WEIGHTS = "10.0, 1.0"  # title, body


def _now() -> datetime:
    return datetime.now(UTC)


def _instant(value: date | datetime | None) -> str | None:
    instant = deadline_instant(value)
    return _iso_utc(instant) if instant else None


def _iso_utc(value: datetime) -> str:
    """Fixed-width UTC text, so SQLite compares instants as strings correctly."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def _body(notice: Notice) -> str:
    parts = [notice.description or "", notice.buyer.name or ""]
    for lot in notice.lots:
        parts += [lot.title or "", lot.description or ""]
    return " ".join(p for p in parts if p)


def fts_query(text: str, any_term: bool = False) -> str | None:
    """A safe FTS5 query from user words: each word quoted, the last one as a prefix."""
    words = [w for w in _WORD.findall(text) if w.strip("_")]
    if not words:
        return None
    quoted = [f'"{w}"' for w in words]
    quoted[-1] += "*"
    return (" OR " if any_term else " ").join(quoted)


class EmbeddedStore:
    """NoticeStore over SQLite. Safe to share across threads (one connection, one lock)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()
        self._matrix: tuple[list[str], np.ndarray] | None = None

    # ------------------------------------------------------------------ connection

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.executescript(_SCHEMA)
            except sqlite3.Error as exc:
                raise StoreError(f"embedded store {self.path}: cannot open ({exc})") from exc
            self._conn = conn
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # ------------------------------------------------------------------ writes

    def write(
        self, notices: Iterable[Notice], policy: DuplicatePolicy = DuplicatePolicy.OVERWRITE
    ) -> WriteReport:
        report = WriteReport()
        now = _now()
        with self._lock, self.conn:
            for notice in notices:
                try:
                    self._write_one(notice, policy, now, report)
                except (sqlite3.Error, ValueError, TypeError) as exc:
                    report.failed.append((notice.uid, f"{type(exc).__name__}: {exc}"))
        if report.created or report.updated:
            self._matrix = None
        return report

    def _write_one(
        self, notice: Notice, policy: DuplicatePolicy, now: datetime, report: WriteReport
    ) -> None:
        if not notice.content_hash:
            notice = notice.with_hash()
        row = self.conn.execute(
            "SELECT id, content_hash, first_seen FROM notices WHERE uid = ?", (notice.uid,)
        ).fetchone()
        if row is not None:
            if policy is DuplicatePolicy.SKIP:
                report.skipped.append(notice.uid)
                return
            if policy is DuplicatePolicy.FAIL:
                report.failed.append((notice.uid, "already stored (duplicate policy: fail)"))
                return
            if row[1] == notice.content_hash:
                self.conn.execute(
                    "UPDATE notices SET last_seen = ?, doc = json_set(doc, '$.last_seen', ?) "
                    "WHERE id = ?",
                    (now.isoformat(), now.isoformat(), row[0]),
                )
                report.unchanged.append(notice.uid)
                return
        first_seen = (
            datetime.fromisoformat(row[2])
            if row is not None and row[2]
            else notice.first_seen or now
        )
        stored = notice.model_copy(update={"first_seen": first_seen, "last_seen": now})
        values = (
            stored.uid,
            stored.source,
            stored.kind.value,
            stored.status.value,
            None if stored.reserved is None else int(stored.reserved),
            _instant(stored.deadline),
            json.dumps(stored.all_departments()),
            json.dumps(stored.all_cpv()),
            stored.content_hash,
            first_seen.isoformat(),
            now.isoformat(),
            stored.model_dump_json(),
        )
        if row is None:
            cur = self.conn.execute(
                "INSERT INTO notices (uid, source, kind, status, reserved, deadline_at, "
                "departments, cpv, content_hash, first_seen, last_seen, doc) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                values,
            )
            rowid = cur.lastrowid
            report.created.append(stored.uid)
        else:
            rowid = row[0]
            self.conn.execute(
                "UPDATE notices SET uid=?, source=?, kind=?, status=?, reserved=?, deadline_at=?, "
                "departments=?, cpv=?, content_hash=?, first_seen=?, last_seen=?, doc=? WHERE id=?",
                (*values, rowid),
            )
            self.conn.execute("DELETE FROM notices_fts WHERE rowid = ?", (rowid,))
            report.updated.append(stored.uid)
        self.conn.execute(
            "INSERT INTO notices_fts (rowid, title, body) VALUES (?, ?, ?)",
            (rowid, stored.title, _body(stored)),
        )

    def delete(self, uids: Sequence[str]) -> int:
        deleted = 0
        with self._lock, self.conn:
            for uid in uids:
                row = self.conn.execute("SELECT id FROM notices WHERE uid = ?", (uid,)).fetchone()
                if row is None:
                    continue
                self.conn.execute("DELETE FROM notices_fts WHERE rowid = ?", (row[0],))
                self.conn.execute("DELETE FROM notices WHERE id = ?", (row[0],))
                self.conn.execute("DELETE FROM vectors WHERE uid = ?", (uid,))
                deleted += 1
        self._matrix = None
        return deleted

    # ------------------------------------------------------------------ reads

    def get(self, uid: str) -> Notice | None:
        found = self.get_many([uid])
        return found[0] if found else None

    def get_many(self, uids: Sequence[str]) -> list[Notice]:
        docs: dict[str, Notice] = {}
        with self._lock:
            for chunk in _chunks(list(uids), 500):
                marks = ",".join("?" * len(chunk))
                for uid, doc in self.conn.execute(
                    f"SELECT uid, doc FROM notices WHERE uid IN ({marks})", chunk
                ):
                    docs[uid] = Notice.model_validate_json(doc)
        return [docs[u] for u in uids if u in docs]

    def count(self, filters: Filters | None = None) -> int:
        where, params = _where(filters)
        with self._lock:
            return int(
                self.conn.execute(
                    f"SELECT count(*) FROM notices n WHERE {where}", params
                ).fetchone()[0]
            )

    def iter_notices(
        self, filters: Filters | None = None, batch_size: int = 500
    ) -> Iterator[Notice]:
        where, params = _where(filters)
        last = 0
        while True:
            with self._lock:
                rows = self.conn.execute(
                    f"SELECT n.id, n.doc FROM notices n WHERE {where} AND n.id > ? "
                    "ORDER BY n.id LIMIT ?",
                    (*params, last, batch_size),
                ).fetchall()
            if not rows:
                return
            for _, doc in rows:
                yield Notice.model_validate_json(doc)
            last = rows[-1][0]

    # ------------------------------------------------------------------ vectors

    def set_vectors(self, vectors: dict[str, np.ndarray], model: str) -> None:
        with self._lock, self.conn:
            for uid, vec in vectors.items():
                row = self.conn.execute(
                    "SELECT content_hash FROM notices WHERE uid = ?", (uid,)
                ).fetchone()
                if row is None:
                    continue
                blob = np.asarray(vec, dtype=np.float32).tobytes()
                self.conn.execute(
                    "INSERT INTO vectors (uid, model, content_hash, vec) VALUES (?,?,?,?) "
                    "ON CONFLICT(uid) DO UPDATE SET model=excluded.model, "
                    "content_hash=excluded.content_hash, vec=excluded.vec",
                    (uid, model, row[0], blob),
                )
        self._matrix = None

    def uids_without_vector(self, model: str) -> list[str]:
        with self._lock:
            rows = self.conn.execute(
                "SELECT n.uid FROM notices n LEFT JOIN vectors v ON v.uid = n.uid "
                "WHERE v.uid IS NULL OR v.model != ? OR v.content_hash != n.content_hash "
                "ORDER BY n.id",
                (model,),
            ).fetchall()
        return [r[0] for r in rows]

    def get_vectors(self, uids: Sequence[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        with self._lock:
            for chunk in _chunks(list(uids), 500):
                marks = ",".join("?" * len(chunk))
                for uid, blob in self.conn.execute(
                    f"SELECT uid, vec FROM vectors WHERE uid IN ({marks})", chunk
                ):
                    out[uid] = np.frombuffer(blob, dtype=np.float32)
        return out

    def _vector_matrix(self) -> tuple[list[str], np.ndarray]:
        """All stored vectors as one matrix, kept in memory until the next write."""
        if self._matrix is None:
            with self._lock:
                rows = self.conn.execute("SELECT uid, vec FROM vectors ORDER BY uid").fetchall()
            uids = [r[0] for r in rows]
            matrix = (
                np.vstack([np.frombuffer(r[1], dtype=np.float32) for r in rows])
                if rows
                else np.zeros((0, 0), dtype=np.float32)
            )
            self._matrix = (uids, matrix)
        return self._matrix

    # ------------------------------------------------------------------ search

    def search_text(
        self, query: str, filters: Filters | None = None, limit: int = 20, offset: int = 0
    ) -> SearchResult:
        ranked, total = self._text_ranking(query, filters, limit + offset)
        page = ranked[offset : offset + limit]
        hits = self._hits([(uid, score) for uid, score, _ in page], {u: h for u, _, h in page})
        return SearchResult(hits=hits, total=total)

    def _text_ranking(
        self, query: str, filters: Filters | None, limit: int
    ) -> tuple[list[tuple[str, float, list[str]]], int]:
        where, params = _where(filters)
        for any_term in (False, True):
            match = fts_query(query, any_term=any_term)
            if match is None:
                return [], 0
            sql_from = (
                "FROM notices_fts JOIN notices n ON n.id = notices_fts.rowid "
                f"WHERE notices_fts MATCH ? AND {where}"
            )
            with self._lock:
                try:
                    total = self.conn.execute(
                        f"SELECT count(*) {sql_from}", (match, *params)
                    ).fetchone()[0]
                    rows = self.conn.execute(
                        f"SELECT n.uid, -bm25(notices_fts, {_BM25_WEIGHTS}) AS score, "
                        "snippet(notices_fts, 0, '<mark>', '</mark>', '…', 12), "
                        "snippet(notices_fts, 1, '<mark>', '</mark>', '…', 24) "
                        f"{sql_from} ORDER BY score DESC, n.uid LIMIT ?",
                        (match, *params, limit),
                    ).fetchall()
                except sqlite3.OperationalError as exc:
                    raise StoreError(f"embedded store: bad text query {query!r}: {exc}") from exc
            if total:
                ranked = [
                    (uid, float(score), [s for s in (t, b) if "<mark>" in s])
                    for uid, score, t, b in rows
                ]
                return ranked, int(total)
        return [], 0

    def search_vector(
        self, vector: np.ndarray, filters: Filters | None = None, limit: int = 20
    ) -> SearchResult:
        ranked, total = self._vector_ranking(vector, filters, limit)
        return SearchResult(hits=self._hits(ranked, {}), total=total)

    def _vector_ranking(
        self, vector: np.ndarray, filters: Filters | None, limit: int
    ) -> tuple[list[tuple[str, float]], int]:
        uids, matrix = self._vector_matrix()
        if not uids:
            return [], 0
        scores = matrix @ np.asarray(vector, dtype=np.float32)
        if filters is not None and not filters.is_empty():
            allowed = self._filtered_uids(filters)
            mask = np.fromiter((u in allowed for u in uids), dtype=bool, count=len(uids))
            scores = np.where(mask, scores, -np.inf)
            total = int(mask.sum())
        else:
            total = len(uids)
        k = min(limit, total)
        if k <= 0:
            return [], 0
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.lexsort((np.array([uids[i] for i in top]), -scores[top]))]
        return [(uids[i], float(scores[i])) for i in top], total

    def search_hybrid(
        self, query: str, vector: np.ndarray, filters: Filters | None = None, limit: int = 20
    ) -> SearchResult:
        depth = max(limit * 3, 50)
        text, text_total = self._text_ranking(query, filters, depth)
        vec, _ = self._vector_ranking(vector, filters, depth)
        fused = reciprocal_rank_fusion([[u for u, _, _ in text], [u for u, _ in vec]])
        highlights = {u: h for u, _, h in text}
        hits = self._hits(fused[:limit], highlights)
        return SearchResult(hits=hits, total=max(text_total, len(fused)))

    def _filtered_uids(self, filters: Filters) -> set[str]:
        where, params = _where(filters)
        with self._lock:
            return {
                r[0] for r in self.conn.execute(f"SELECT uid FROM notices n WHERE {where}", params)
            }

    def _hits(
        self, ranked: Sequence[tuple[str, float]], highlights: dict[str, list[str]]
    ) -> list[Hit]:
        notices = {n.uid: n for n in self.get_many([u for u, _ in ranked])}
        return [
            Hit(notice=notices[u], score=s, highlights=highlights.get(u, []))
            for u, s in ranked
            if u in notices
        ]

    def facets(
        self, filters: Filters | None = None, query: str | None = None
    ) -> dict[str, dict[str, int]]:
        where, params = _where(filters)
        sql = f"SELECT n.source, n.kind, n.reserved, n.deadline_at, n.departments, n.cpv FROM notices n WHERE {where}"
        args: tuple[Any, ...] = tuple(params)
        match = fts_query(query) if query else None
        if match:
            sql = (
                "SELECT n.source, n.kind, n.reserved, n.deadline_at, n.departments, n.cpv "
                "FROM notices_fts JOIN notices n ON n.id = notices_fts.rowid "
                f"WHERE notices_fts MATCH ? AND {where}"
            )
            args = (match, *params)
        counts: dict[str, Counter[str]] = {
            name: Counter()
            for name in ("source", "kind", "department", "cpv_division", "reserved", "deadline")
        }
        today = _now().date()
        with self._lock:
            rows = self.conn.execute(sql, args).fetchall()
        for source, kind, reserved, deadline_at, deps, cpvs in rows:
            counts["source"][source] += 1
            counts["kind"][kind] += 1
            counts["reserved"][
                "unknown" if reserved is None else ("true" if reserved else "false")
            ] += 1
            deadline = datetime.fromisoformat(deadline_at) if deadline_at else None
            counts["deadline"][deadline_bucket(deadline, today)] += 1
            for dep in set(json.loads(deps)):
                counts["department"][dep] += 1
            for division in {c[:2] for c in json.loads(cpvs)}:
                counts["cpv_division"][division] += 1
        return {name: dict(counter.most_common()) for name, counter in counts.items()}


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _where(filters: Filters | None) -> tuple[str, list[Any]]:
    """Translate the shared filter language into one SQL condition over alias `n`."""
    if filters is None or filters.is_empty():
        return "1=1", []
    clauses: list[str] = []
    params: list[Any] = []

    def any_of(column: str, values: Sequence[str]) -> None:
        clauses.append(f"{column} IN ({','.join('?' * len(values))})")
        params.extend(values)

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
        clauses.append(f"EXISTS (SELECT 1 FROM json_each(n.departments) WHERE value IN ({marks}))")
        params.extend(filters.departments)
    if filters.cpv_prefixes:
        ors = " OR ".join("substr(value, 1, ?) = ?" for _ in filters.cpv_prefixes)
        clauses.append(f"EXISTS (SELECT 1 FROM json_each(n.cpv) WHERE {ors})")
        for prefix in filters.cpv_prefixes:
            params += [len(prefix), prefix]
    if filters.reserved is not None:
        clauses.append("n.reserved = ?")
        params.append(int(filters.reserved))
    low, high = deadline_bounds(filters)
    if low is not None:
        clauses.append("n.deadline_at >= ?")
        params.append(_iso_utc(low))
    if high is not None:
        clauses.append("n.deadline_at <= ?")
        params.append(_iso_utc(high))
    return " AND ".join(clauses), params
