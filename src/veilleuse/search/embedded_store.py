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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from veilleuse.core.embedder import Embedder
from veilleuse.core.errors import StoreError
from veilleuse.core.models import Notice
from veilleuse.search import embedded_sql as sql
from veilleuse.search.french_text import match_expression, query_clauses, relaxations
from veilleuse.search.store import (
    FACET_FIELDS,
    CompactReport,
    DuplicatePolicy,
    Filters,
    Hit,
    RelevanceFloor,
    SearchResult,
    Sort,
    SortKey,
    WriteReport,
    candidate_depth,
    effective_sort,
    fuse_with_floor,
    notice_vectors,
    vector_floor,
)
from veilleuse.search.vector_array import VectorCache, next_generation

_WORD = re.compile(r"\w+", re.UNICODE)
#: notices a listing may test along its sort's index before it sorts the kept ones instead
_WALK_MAX = 2_000


def _now() -> datetime:
    return datetime.now(UTC)


def _parse(text: str | None) -> datetime | None:
    """A stored instant (`iso_utc_us`), aware."""
    if not text:
        return None
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


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
        self._vectors = VectorCache(self.path)  # touches no file until a vector search
        #: the last write instant taken here (a notice deleted since may have held it)
        self._last_instant: datetime | None = None

    # ------------------------------------------------------------------ connection

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.executescript(sql.TABLES)
                sql.migrate(conn)
                conn.executescript(sql.TRIGGERS)
                conn.executescript(sql.INDEXES)
                sql.refresh_analysis(conn)
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
        self,
        notices: Iterable[Notice],
        policy: DuplicatePolicy = DuplicatePolicy.OVERWRITE,
        embedder: Embedder | None = None,
    ) -> WriteReport:
        report = WriteReport()
        seen: dict[str, Notice] = {}  # kept only to embed what this write created or changed
        with self._lock, self.conn:
            now = self._write_instant()
            for notice in notices:
                if embedder is not None:
                    seen[notice.uid] = notice
                try:
                    self._write_one(notice, policy, now, report)
                except (sqlite3.Error, ValueError, TypeError) as exc:
                    report.failed.append((notice.uid, f"{type(exc).__name__}: {exc}"))
        if embedder is not None:  # same call, right after the commit (see NoticeStore.write)
            todo = [seen[u] for u in dict.fromkeys([*report.created, *report.updated])]
            vectors = notice_vectors(embedder, todo)
            self.set_vectors({n.uid: v for n, v in zip(todo, vectors, strict=True)}, embedder.name)
        return report

    def _write_instant(self) -> datetime:
        """The instant this write stamps on the notices it changes (`updated_at`).

        Called with the lock held: it takes SQLite's write lock first (`BEGIN IMMEDIATE`, which
        also waits for a writer in another process), so no write can commit between this instant
        and this one's commit. Strictly later than every instant stored before, even when the
        clock went back: a notice committed after a client read the changes feed never carries an
        instant earlier than one the client saw (see `Filters.updated_since`).
        """
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            (stored,) = self.conn.execute("SELECT max(updated_at) FROM notices").fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"embedded store {self.path}: cannot write ({exc})") from exc
        now = _now()
        floor = max(
            [t for t in (self._last_instant, _parse(stored)) if t is not None], default=None
        )
        if floor is not None and now <= floor:
            now = floor + timedelta(microseconds=1)
        self._last_instant = now
        return now

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
                    (sql.iso_utc_us(now), now.isoformat(), row[0]),
                )
                report.unchanged.append(notice.uid)
                return
        first_seen = (
            datetime.fromisoformat(row[2])
            if row is not None and row[2]
            else notice.first_seen or now
        )
        stored = notice.model_copy(update={"first_seen": first_seen, "last_seen": now})
        values = sql.row_values(stored, first_seen, now, updated_at=now)
        if row is None:
            cur = self.conn.execute(
                f"INSERT INTO notices ({', '.join(sql.COLUMNS)}) "
                f"VALUES ({','.join('?' * len(sql.COLUMNS))})",
                values,
            )
            rowid = cur.lastrowid
            sql.write_lists(self.conn, rowid, stored, replace=False)
            report.created.append(stored.uid)
        else:
            rowid = row[0]
            self.conn.execute(
                f"UPDATE notices SET {', '.join(c + '=?' for c in sql.COLUMNS)} WHERE id=?",
                (*values, rowid),
            )
            sql.write_lists(self.conn, rowid, stored, replace=True)
            self.conn.execute("DELETE FROM notices_fts WHERE rowid = ?", (rowid,))
            self.conn.execute("DELETE FROM notices_fr WHERE rowid = ?", (rowid,))
            report.updated.append(stored.uid)
        self.conn.execute(
            "INSERT INTO notices_fts (rowid, title, body) VALUES (?, ?, ?)",
            (rowid, stored.title, _body(stored)),
        )
        sql.insert_analysed(self.conn, rowid, stored)

    def delete(self, uids: Sequence[str]) -> int:
        deleted = 0
        with self._lock, self.conn:
            for uid in uids:
                row = self.conn.execute("SELECT id FROM notices WHERE uid = ?", (uid,)).fetchone()
                if row is None:
                    continue
                self.conn.execute("DELETE FROM notices_fts WHERE rowid = ?", (row[0],))
                self.conn.execute("DELETE FROM notices_fr WHERE rowid = ?", (row[0],))
                self.conn.execute("DELETE FROM notices WHERE id = ?", (row[0],))
                self.conn.execute("DELETE FROM vectors WHERE uid = ?", (uid,))
                deleted += 1
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
        where, params = sql.where(filters)
        with self._lock:
            return int(
                self.conn.execute(
                    f"SELECT count(*) FROM {sql.ids_from(filters)} WHERE {where}", params
                ).fetchone()[0]
            )

    def iter_notices(
        self, filters: Filters | None = None, batch_size: int = 500
    ) -> Iterator[Notice]:
        where, params = sql.where(filters)
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
        """Store vectors under one new generation, which the vector cache reads back."""
        if not vectors:
            return
        with self._lock, self.conn:
            generation = next_generation(self.conn)
            for uid, vec in vectors.items():
                row = self.conn.execute(
                    "SELECT content_hash FROM notices WHERE uid = ?", (uid,)
                ).fetchone()
                if row is None:
                    continue
                blob = np.asarray(vec, dtype=np.float32).tobytes()
                self.conn.execute(
                    "INSERT INTO vectors (uid, model, content_hash, vec, generation) "
                    "VALUES (?,?,?,?,?) ON CONFLICT(uid) DO UPDATE SET model=excluded.model, "
                    "content_hash=excluded.content_hash, vec=excluded.vec, "
                    "generation=excluded.generation",
                    (uid, model, row[0], blob, generation),
                )

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

    # ------------------------------------------------------------------ search

    def search_text(
        self,
        query: str,
        filters: Filters | None = None,
        limit: int = 20,
        offset: int = 0,
        sort: Sort | None = None,
        any_word_fallback: bool = True,
    ) -> SearchResult:
        has_words = bool(query_clauses(query))
        order = effective_sort(sort, has_words)
        if not has_words:
            return self._listing(filters, limit, offset, order)
        ranked, total, any_word = self._text_ranking(
            query, filters, limit, offset, order, any_word_fallback=any_word_fallback
        )
        marked = self._highlights(query, [rowid for _, _, rowid in ranked])
        hits = self._hits(
            [(uid, score) for uid, score, _ in ranked],
            {uid: marked.get(rowid, []) for uid, _, rowid in ranked},
        )
        for hit in hits:
            hit.lexical = "some" if any_word else "all"
        return SearchResult(hits=hits, total=total, any_word=any_word)

    def _listing(
        self, filters: Filters | None, limit: int, offset: int, sort: Sort
    ) -> SearchResult:
        """Every notice matching the filters, in `sort` order, with the exact total.

        The page is read by walking the index of the sort and testing each notice, which stops
        after `offset + limit` kept ones; when the total says that walk would test more than
        `_WALK_MAX` notices (a rare buyer word: 1.7 s over 100 000 notices), the kept notices
        are sorted from the narrow index instead (about 60 ms whatever the filter).
        """
        where, params = sql.where(filters)
        with self._lock:
            total, stored = self.conn.execute(
                f"SELECT count(*), (SELECT max(id) FROM notices) FROM {sql.ids_from(filters)} "
                f"WHERE {where}",
                params,
            ).fetchone()
            if not total:
                return SearchResult(hits=[], total=0)
            walk = (offset + limit) * stored <= _WALK_MAX * total
            source = "notices n" if walk else sql.notices_from(filters)
            rows = self.conn.execute(
                f"SELECT n.uid FROM {source} WHERE {where} ORDER BY {sql.order_by(sort)} "
                "LIMIT ? OFFSET ?",
                (*params, limit, offset),
            ).fetchall()
        return SearchResult(hits=self._hits([(r[0], 0.0) for r in rows], {}), total=int(total))

    def _text_ranking(
        self,
        query: str,
        filters: Filters | None,
        limit: int,
        offset: int = 0,
        sort: Sort | None = None,
        *,
        any_word_fallback: bool = True,
    ) -> tuple[list[tuple[str, float, int]], int, bool]:
        """(uid, score, row id) of a page of matches, the total and whether the fallback found
        them: every clause of the analysed query (`search.french_text`) when some notice has
        them all, else (with `any_word_fallback`) most of them (`relaxations`), as both stores
        do. The page and the total come from one pass over the matches (a materialised common
        table expression); highlights are drawn for a page only (`_highlights`)."""
        where, params = sql.where(filters)
        if sort is None or sort.key is SortKey.RELEVANCE:
            page = "SELECT id, uid, score, (SELECT count(*) FROM m) FROM m ORDER BY score DESC, uid"
        else:
            page = (
                "SELECT m.id, m.uid, m.score, (SELECT count(*) FROM m) FROM m "
                f"JOIN notices n ON n.id = m.id ORDER BY {sql.order_by(sort)}"
            )
        matched = (
            f"SELECT n.id AS id, n.uid AS uid, -bm25(notices_fr, {sql.FR_BM25_WEIGHTS}) AS score "
            f"FROM {sql.text_from(filters)} WHERE notices_fr MATCH ? AND {where}"
        )
        clauses = query_clauses(query)
        count = len(clauses)
        for need in relaxations(count) if any_word_fallback else [count]:
            match = match_expression(clauses, need)
            if match is None:
                break
            if limit <= 0:
                total = self._count_matches(match, filters, query)
                rows = []
            else:
                rows = self._run_text(
                    f"WITH m AS MATERIALIZED ({matched}) {page} LIMIT ? OFFSET ?",
                    (match, *params, limit, offset),
                    query,
                )
                total = rows[0][3] if rows else 0
                if not rows and offset > 0:  # past the last page: count apart
                    total = self._count_matches(match, filters, query)
            if total:
                return (
                    [(uid, float(score), rowid) for rowid, uid, score, _ in rows],
                    total,
                    need < count,
                )
        return [], 0, False

    def _count_matches(self, match: str, filters: Filters | None, query: str) -> int:
        where, params = sql.where(filters)
        rows = self._run_text(
            f"SELECT count(*) FROM {sql.text_from(filters)} WHERE notices_fr MATCH ? AND {where}",
            (match, *params),
            query,
        )
        return int(rows[0][0])

    def _run_text(self, statement: str, params: Sequence[Any], query: str) -> list[Any]:
        with self._lock:
            try:
                return self.conn.execute(statement, params).fetchall()
            except sqlite3.OperationalError as exc:
                raise StoreError(f"embedded store: bad text query {query!r}: {exc}") from exc

    def _highlights(self, query: str, ids: Sequence[int]) -> dict[int, list[str]]:
        """The marked passages of title and body of the notices `ids` (row ids) where a word of
        the query (the last one as a prefix) appears as typed, accents aside."""
        match = fts_query(query, any_term=True)
        if match is None or not ids:
            return {}
        with self._lock:
            rows = self.conn.execute(
                "SELECT rowid, snippet(notices_fts, 0, '<mark>', '</mark>', '…', 12), "
                "snippet(notices_fts, 1, '<mark>', '</mark>', '…', 24) FROM notices_fts "
                "WHERE notices_fts MATCH ? AND rowid IN (SELECT value FROM json_each(?))",
                (match, json.dumps(list(ids))),
            ).fetchall()
        return {rowid: [s for s in (t, b) if "<mark>" in s] for rowid, t, b in rows}

    def search_vector(
        self,
        vector: np.ndarray,
        filters: Filters | None = None,
        limit: int = 20,
        offset: int = 0,
        sort: Sort | None = None,
        floor: RelevanceFloor | None = None,
    ) -> SearchResult:
        order = effective_sort(sort, True)
        relevance = order.key is SortKey.RELEVANCE
        depth = offset + limit if relevance else candidate_depth(limit, offset)
        found, total = self._vector_ranking(vector, filters, depth)
        ranked = vector_floor(found, floor)
        if len(ranked) < len(found):  # every candidate above the floor: their number is true
            total = len(ranked)
        hits = self._hits(self._page(ranked, order, limit, offset), {})
        for hit in hits:
            hit.similarity = hit.score
        return SearchResult(hits=hits, total=total)

    def _page(
        self, ranked: Sequence[tuple[str, float]], sort: Sort, limit: int, offset: int
    ) -> list[tuple[str, float]]:
        """One page of ranked candidates; a non-relevance sort orders them in SQL, exactly as
        a listing (`store.sort_hits` is the same rule), so only the page's documents load."""
        if sort.key is SortKey.RELEVANCE:
            return list(ranked[offset : offset + limit])
        scores = dict(ranked)
        with self._lock:
            rows = self.conn.execute(
                "SELECT n.uid FROM notices n WHERE n.uid IN (SELECT value FROM json_each(?)) "
                f"ORDER BY {sql.order_by(sort)} LIMIT ? OFFSET ?",
                (json.dumps(list(scores)), limit, offset),
            ).fetchall()
        return [(uid, scores[uid]) for (uid,) in rows]

    def _vector_ranking(
        self, vector: np.ndarray, filters: Filters | None, limit: int
    ) -> tuple[list[tuple[str, float]], int]:
        """Exact cosine ranking over the vector cache, restricted to the filtered notices."""
        with self._lock:
            stored = self._vectors.rows(self.conn)
        if not len(stored.rowids):
            return [], 0
        query = np.asarray(vector, dtype=np.float32)
        if filters is None or filters.is_empty():
            rows = np.flatnonzero(stored.notice_ids >= 0)
        else:
            rows = stored.rows_of(self._filtered_ids(filters))
        if len(rows) * 4 > len(stored.rowids):  # most rows: one pass over the whole array
            scores = np.asarray(stored.matrix @ query)[rows]
        else:  # a few: gather them (reads only their pages)
            scores = np.asarray(stored.matrix[rows] @ query)
        total = len(rows)
        k = min(limit, total)
        if k <= 0:
            return [], total
        top = np.argpartition(-scores, k - 1)[:k]
        ids = stored.notice_ids[rows[top]]
        uids = self._uids_of([int(i) for i in ids])
        ranked = sorted(
            ((uids[int(i)], float(s)) for i, s in zip(ids, scores[top], strict=True)),
            key=lambda pair: (-pair[1], pair[0]),
        )
        return ranked, total

    def _uids_of(self, ids: list[int]) -> dict[int, str]:
        with self._lock:
            return dict(
                self.conn.execute(
                    "SELECT id, uid FROM notices WHERE id IN (SELECT value FROM json_each(?))",
                    (json.dumps(ids),),
                ).fetchall()
            )

    def search_hybrid(
        self,
        query: str,
        vector: np.ndarray,
        filters: Filters | None = None,
        limit: int = 20,
        offset: int = 0,
        sort: Sort | None = None,
        floor: RelevanceFloor | None = None,
    ) -> SearchResult:
        depth = candidate_depth(limit, offset)
        text, text_total, any_word = self._text_ranking(query, filters, depth)
        vec, _ = self._vector_ranking(vector, filters, depth)
        fused = fuse_with_floor([(u, s) for u, s, _ in text], vec, any_word, floor)
        support = {uid: (lexical, cosine) for uid, _, lexical, cosine in fused}
        page = self._page(
            [(u, s) for u, s, _, _ in fused], effective_sort(sort, True), limit, offset
        )
        rowids = {uid: rowid for uid, _, rowid in text}
        on_page = [rowids[uid] for uid, _ in page if uid in rowids]
        marked = self._highlights(query, on_page)
        highlights = {uid: marked.get(rowid, []) for uid, rowid in rowids.items()}
        hits = self._hits(page, highlights)
        for hit in hits:
            hit.lexical, hit.similarity = support[hit.notice.uid]
        # every-word hits are all kept, so their count stands; fallback hits passed the floor
        total = len(fused) if any_word else max(text_total, len(fused))
        return SearchResult(hits=hits, total=total)

    def _filtered_ids(self, filters: Filters) -> np.ndarray:
        """The row ids of the notices the filters keep, from SQL into numpy in one string."""
        where, params = sql.where(filters)
        with self._lock:
            (text,) = self.conn.execute(  # one string: twice as fast as a row per id
                f"SELECT group_concat(n.id) FROM {sql.ids_from(filters)} WHERE {where}",
                params,
            ).fetchone()
        if not text:
            return np.zeros(0, dtype=np.int64)
        return np.fromstring(text, dtype=np.int64, sep=",")

    def _hits(
        self, ranked: Sequence[tuple[str, float]], highlights: dict[str, list[str]]
    ) -> list[Hit]:
        """Hits in `ranked` order with their notice and the instant its content last changed."""
        found: dict[str, tuple[Notice, datetime | None]] = {}
        with self._lock:
            for chunk in _chunks([u for u, _ in ranked], 500):
                marks = ",".join("?" * len(chunk))
                for uid, doc, updated in self.conn.execute(
                    f"SELECT uid, doc, updated_at FROM notices WHERE uid IN ({marks})", chunk
                ):
                    when = datetime.fromisoformat(updated) if updated else None
                    found[uid] = (Notice.model_validate_json(doc), when)
        return [
            Hit(
                notice=found[u][0],
                score=s,
                highlights=highlights.get(u, []),
                updated_at=found[u][1],
            )
            for u, s in ranked
            if u in found
        ]

    def facets(
        self, filters: Filters | None = None, query: str | None = None
    ) -> dict[str, dict[str, int]]:
        """Counts per value of each `FACET_FIELDS` facet over what the query + filters find
        (every word, else any word, as text search does), counted in SQL."""
        where, params = sql.where(filters)
        today = _now().date()
        clauses = query_clauses(query or "")
        if not clauses:
            return self._facet_counts(
                f"FROM {sql.notices_from(filters)} WHERE {where}", params, today
            )
        counts: dict[str, dict[str, int]] = {}
        for need in relaxations(len(clauses)):
            match = match_expression(clauses, need)
            counts = self._facet_counts(
                f"FROM {sql.text_from(filters)} WHERE notices_fr MATCH ? AND {where}",
                [match, *params],
                today,
                query=query,
            )
            if counts["kind"]:  # every notice has a kind: some notice matched
                break
        return counts

    def _facet_counts(
        self, matching: str, params: Sequence[Any], today: date, query: str | None = None
    ) -> dict[str, dict[str, int]]:
        """The facets of the notices `matching` (`FROM … WHERE …` over alias `n`) selects."""
        statement, args = sql.facets_sql(matching, params, today)
        counts: dict[str, dict[str, int]] = {name: {} for name in FACET_FIELDS}
        with self._lock:
            try:
                rows = self.conn.execute(statement, args).fetchall()
            except sqlite3.OperationalError as exc:
                what = f"bad text query {query!r}" if query else "cannot count facets"
                raise StoreError(f"embedded store: {what}: {exc}") from exc
        for name, value, count in rows:
            counts[name][value] = count
        return {name: _ordered(found) for name, found in counts.items()}

    def compact(self, changed: int) -> CompactReport:
        """`PRAGMA optimize` (SQLite's own check of which planner statistics are stale; cheap,
        whatever the write). Nothing to merge: SQLite updates its b-trees in place."""
        with self._lock:
            try:
                self.conn.execute("PRAGMA optimize")
            except sqlite3.Error as exc:
                raise StoreError(f"embedded store {self.path}: cannot optimize ({exc})") from exc
        return CompactReport("optimized", f"PRAGMA optimize after {changed} changed notices")


def _ordered(counts: Mapping[str, int]) -> dict[str, int]:
    """Largest first, ties by value: the order both stores give."""
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
