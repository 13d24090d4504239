"""The Elasticsearch notice store: same protocol and semantics as the embedded store, at scale.

Notices live in a versioned index (`<alias>-v1`, `-v2`…) that the application reads through an
alias, so `migrate` can rebuild the index with new mappings and swap the alias atomically. The
client is built on first use: constructing a store touches no network. Writes are chunked bulk
requests, idempotent by content hash, retried with backoff on 429/5xx; every notice that could
not be written is reported with the server's reason. Hybrid search fuses the text and kNN
rankings client-side (reciprocal rank fusion), because the RRF retriever needs a licence.
Scores: text hits keep the BM25 score, vector hits the cosine (like the embedded store), hybrid
hits the RRF score. Connection, lifecycle and bulk mechanics are in es_index.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from veilleuse.core.embedder import Embedder
from veilleuse.core.errors import StoreError
from veilleuse.core.models import Notice
from veilleuse.search import es_query as q
from veilleuse.search.es_compact import compact_index
from veilleuse.search.es_index import EsIndex, Op, batched, reason
from veilleuse.search.es_mapping import (
    SEARCH,
    VECTOR_FIELD,
    from_document,
    iso_utc,
    to_document,
    updated_at_of,
    vector_fields,
)
from veilleuse.search.french_text import relaxations
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
    page_hits,
    vector_floor,
)

_NO_SEARCH = [SEARCH]  # _source_excludes: the derived fields are never part of a Notice
# search hits keep `search.updated_at` (Hit.updated_at), not the heavy derived fields
_HIT_EXCLUDES = [
    f"{SEARCH}.{name}"
    for name in ("text", "fr_title", "fr_body", "fr_cpv", "vector", "cpv", "departments")
]
# nor the source's payload (three quarters of a document; nothing reads it from a hit, `get`
# returns it): hybrid search parses 2 × 100 candidates, half the time without it
_HIT_EXCLUDES.append("raw")


def _now() -> datetime:
    return datetime.now(UTC)


def _collect(results: list[tuple[str, str, str | None]], report: WriteReport) -> None:
    """Add the outcome of one sent chunk to the report."""
    for uid, outcome, error in results:
        if error:
            report.failed.append((uid, error))
        else:
            getattr(report, outcome).append(uid)


def _ids_only(body: dict[str, Any]) -> dict[str, Any]:
    """A search body that returns ids and scores only (no document, no highlight)."""
    return {**{k: v for k, v in body.items() if k != "highlight"}, "_source": False}


def _raw_hits(response: dict[str, Any]) -> list[dict[str, Any]]:
    return list(response["hits"]["hits"])


def _stale_vector(source: dict[str, Any], model: str) -> bool:
    """True when a stored document has no vector of `model` for its current content."""
    derived = source.get(SEARCH) or {}
    return derived.get("vector_model") != model or derived.get("vector_hash") != source.get(
        "content_hash"
    )


class ElasticsearchStore(EsIndex):
    """NoticeStore over an Elasticsearch 8 cluster (or the local test node)."""

    # ------------------------------------------------------------------ writes

    def write(
        self,
        notices: Iterable[Notice],
        policy: DuplicatePolicy = DuplicatePolicy.OVERWRITE,
        embedder: Embedder | None = None,
    ) -> WriteReport:
        """Chunked bulk writes, vectors in the same requests when `embedder` is given.

        One chunk is planned (stored hashes read with one `mget`, vectors computed) while the
        previous one is being indexed by the server: a sender thread keeps one bulk request in
        flight, so the client's work overlaps the server's. A chunk that shares a uid with the
        one in flight waits for it first (its `mget` must see it). No refresh per request: one
        at the end.
        """
        report = WriteReport()
        es = self._ready()
        floor = self._latest_instant()
        inflight: Future[list[tuple[str, str, str | None]]] | None = None
        inflight_uids: set[str] = set()
        touched = False
        with self._guard("write"), ThreadPoolExecutor(1, "veilleuse-bulk") as sender:
            for chunk in batched(notices, self.settings.bulk_chunk_size):
                uids = {n.uid for n in chunk}
                if inflight is not None and not uids.isdisjoint(inflight_uids):
                    _collect(inflight.result(), report)
                    inflight = None
                ops = self._plan(chunk, policy, _now(), report, embedder)
                if inflight is not None:
                    _collect(inflight.result(), report)
                inflight, inflight_uids = sender.submit(self._send, ops, floor), uids
                touched = touched or bool(ops)
            if inflight is not None:
                _collect(inflight.result(), report)
            if touched:
                es.indices.refresh(index=self.alias)
        return report

    def _send(self, ops: list[Op], floor: datetime | None) -> list[tuple[str, str, str | None]]:
        """Stamp and send one chunk. The change instant is taken as late as possible: under the
        store's write lock, right before the chunk is sent (see Filters.updated_since)."""
        with self._write_lock:
            self._stamp(ops, self._write_instant(floor))
            return self._bulk(ops) if ops else []

    def _latest_instant(self) -> datetime | None:
        """The latest change instant the index shows (None when no document has one)."""
        with self._guard("latest change"):
            response = self.client.search(
                index=self.alias,
                size=1,
                sort=[{f"{SEARCH}.updated_at": {"order": "desc", "missing": "_last"}}],
                source_includes=[f"{SEARCH}.updated_at"],
                track_total_hits=False,
            )
        hits = response["hits"]["hits"]
        return updated_at_of(hits[0]["_source"]) if hits else None

    def _write_instant(self, floor: datetime | None) -> datetime:
        """The instant a chunk stamps on the notices it changes: now, but strictly later than the
        last one this store object wrote and than `floor` (the latest one the index showed when
        the write began: a clock gone back, another process's writes). Write lock held."""
        now = _now()
        latest = max([t for t in (self._last_instant, floor) if t is not None], default=None)
        if latest is not None and now <= latest:
            now = latest + timedelta(microseconds=1)
        self._last_instant = now
        return now

    @staticmethod
    def _stamp(ops: list[Op], instant: datetime) -> None:
        """Set the change instant of the created and updated documents among `ops`."""
        for outcome, _, _, body in ops:
            if outcome in ("created", "updated") and body is not None:
                body[SEARCH]["updated_at"] = iso_utc(instant)

    def _plan(
        self,
        chunk: list[Notice],
        policy: DuplicatePolicy,
        now: datetime,
        report: WriteReport,
        embedder: Embedder | None = None,
    ) -> list[Op]:
        """Bulk operations for one chunk, decided against the stored content hashes (one
        `mget` of a few small fields; the stored vectors only when they must be carried)."""
        chunk = [n if n.content_hash else n.with_hash() for n in chunk]
        wanted = ["content_hash", "first_seen", f"{SEARCH}.vector_model", f"{SEARCH}.vector_hash"]
        if embedder is None:  # a changed notice keeps its (stale) vector until the embed stage
            wanted.append(VECTOR_FIELD)
        stored = self._sources([n.uid for n in chunk], includes=wanted)
        ops: list[Op] = []
        embed: list[tuple[Notice, dict[str, Any]]] = []  # notices and where their vector goes
        for notice in chunk:
            uid, prev = notice.uid, stored.get(notice.uid)
            if prev is not None:
                if policy is DuplicatePolicy.SKIP:
                    report.skipped.append(uid)
                    continue
                if policy is DuplicatePolicy.FAIL:
                    report.failed.append((uid, "already stored (duplicate policy: fail)"))
                    continue
                if prev.get("content_hash") == notice.content_hash:
                    body: dict[str, Any] = {"doc": {"last_seen": now.isoformat()}}
                    if embedder is not None and _stale_vector(prev, embedder.name):
                        body["doc"][SEARCH] = {}
                        embed.append((notice, body["doc"][SEARCH]))
                    ops.append(("unchanged", uid, {"update": {"_id": uid}}, body))
                    continue
            first_seen = (
                datetime.fromisoformat(prev["first_seen"].replace("Z", "+00:00"))
                if prev is not None and prev.get("first_seen")
                else notice.first_seen or now
            )
            kept = notice.model_copy(update={"first_seen": first_seen, "last_seen": now})
            # its content changed now (`_stamp` sets the instant when the chunk is sent); an
            # unchanged one (above) keeps its updated_at
            carried = {**vector_fields(prev or {}), "updated_at": iso_utc(now)}
            try:
                doc = to_document(kept, carried)
            except (ValueError, TypeError, AttributeError) as exc:
                report.failed.append(
                    (uid, f"cannot build the document: {type(exc).__name__}: {exc}")
                )
                continue
            if embedder is not None:
                embed.append((kept, doc[SEARCH]))
            ops.append(
                ("created" if prev is None else "updated", uid, {"index": {"_id": uid}}, doc)
            )
            stored[uid] = {"content_hash": kept.content_hash, "first_seen": first_seen.isoformat()}
            stored[uid][SEARCH] = doc[SEARCH]
        if embedder is not None and embed:
            self._embed_into(embed, embedder)
        return ops

    def _embed_into(self, targets: list[tuple[Notice, dict[str, Any]]], embedder: Embedder) -> None:
        """Compute the vectors of a chunk in one call and put each in its document's `search`."""
        vectors = notice_vectors(embedder, [n for n, _ in targets])
        if vectors.shape[1:] != (self.dimension,):
            raise StoreError(
                f"embedder {embedder.name} gives vectors of shape {vectors.shape[1:]}, "
                f"index has {self.dimension} dimensions"
            )
        for (notice, derived), vec in zip(targets, vectors, strict=True):
            derived.update(
                vector=vec.tolist(), vector_model=embedder.name, vector_hash=notice.content_hash
            )

    def delete(self, uids: Sequence[str]) -> int:
        self._ready()
        ops: list[Op] = [("deleted", u, {"delete": {"_id": u}}, None) for u in dict.fromkeys(uids)]
        if not ops:
            return 0
        with self._guard("delete"):
            response = self.client.bulk(
                index=self.alias, operations=[o[2] for o in ops], refresh=True
            )
        return sum(1 for item in response["items"] if item["delete"].get("result") == "deleted")

    # ------------------------------------------------------------------ reads

    def get(self, uid: str) -> Notice | None:
        found = self.get_many([uid])
        return found[0] if found else None

    def get_many(self, uids: Sequence[str]) -> list[Notice]:
        sources = self._sources(uids, excludes=_NO_SEARCH)
        notices = {uid: from_document(src) for uid, src in sources.items()}
        return [notices[u] for u in uids if u in notices]

    def count(self, filters: Filters | None = None) -> int:
        es = self._ready()
        with self._guard("count"):
            return int(es.count(index=self.alias, query=q.filter_query(filters))["count"])

    def iter_notices(
        self, filters: Filters | None = None, batch_size: int = 500
    ) -> Iterator[Notice]:
        self._ready()
        source = {"excludes": _NO_SEARCH}
        for hit in self._scan(self.alias, q.filter_query(filters), source, batch_size):
            yield from_document(hit["_source"])

    # ------------------------------------------------------------------ vectors

    def set_vectors(self, vectors: dict[str, np.ndarray], model: str) -> None:
        hashes = self._sources(list(vectors), includes=["content_hash"])
        ops: list[Op] = []
        for uid, raw in vectors.items():
            if uid not in hashes:
                continue  # unknown or deleted notice: nothing to attach the vector to
            vec = np.asarray(raw, dtype=np.float32).ravel()
            if vec.shape[0] != self.dimension:
                raise StoreError(
                    f"vector of {uid} has {vec.shape[0]} dimensions, index has {self.dimension}"
                )
            derived = {
                "vector": vec.tolist(),
                "vector_model": model,
                "vector_hash": hashes[uid].get("content_hash"),
            }
            ops.append(("updated", uid, {"update": {"_id": uid}}, {"doc": {SEARCH: derived}}))
        with self._guard("set_vectors"):
            failed = [(uid, err) for uid, _, err in self._bulk(ops) if err]
            if ops:
                self.client.indices.refresh(index=self.alias)
        if failed:
            raise StoreError(f"{len(failed)} vectors not stored, e.g. {failed[:3]}")

    def uids_without_vector(self, model: str) -> list[str]:
        self._ready()
        source = {
            "includes": ["uid", "content_hash", f"{SEARCH}.vector_model", f"{SEARCH}.vector_hash"]
        }
        # a few small fields per notice: large pages (the embed stage scans every notice)
        hits = self._scan(self.alias, {"match_all": {}}, source, batch_size=5000)
        return [hit["_source"]["uid"] for hit in hits if _stale_vector(hit["_source"], model)]

    def get_vectors(self, uids: Sequence[str]) -> dict[str, np.ndarray]:
        sources = self._sources(uids, includes=[f"{SEARCH}.vector"])
        return {
            uid: np.asarray(src[SEARCH]["vector"], dtype=np.float32)
            for uid, src in sources.items()
            if (src.get(SEARCH) or {}).get("vector") is not None
        }

    # ------------------------------------------------------------------ search

    def _search(self, action: str, **body: Any) -> dict[str, Any]:
        es = self._ready()
        with self._guard(action):
            return dict(es.search(index=self.alias, source_excludes=_HIT_EXCLUDES, **body))

    @staticmethod
    def _hit(raw: dict[str, Any], score: float, highlights: list[str] | None = None) -> Hit:
        source = raw["_source"]
        return Hit(from_document(source), score, highlights or [], updated_at_of(source))

    def _msearch(self, action: str, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Several searches in one round trip (the server runs them in parallel)."""
        es = self._ready()
        searches: list[dict[str, Any]] = []
        for body in bodies:
            searches += [{}, {"_source": {"excludes": _HIT_EXCLUDES}, **body}]
        with self._guard(action):
            responses = list(es.msearch(index=self.alias, searches=searches)["responses"])
        for response in responses:
            if "error" in response:
                raise StoreError(f"Elasticsearch: {action} failed ({reason(response['error'])})")
        return responses

    @staticmethod
    def _text_body(
        text: str,
        filters: Filters | None,
        size: int,
        offset: int = 0,
        sort: Sort | None = None,
        *,
        need: int | None = None,
    ) -> dict[str, Any] | None:
        query = q.text_query(text, filters, need=need)
        if query is None:
            return None
        return {
            "query": query,
            "from": offset,
            "size": max(size, 0),
            "track_total_hits": True,
            "sort": q.sort_clause(sort or Sort()),
            "highlight": q.highlight(text),
        }

    def _text_hits(self, response: dict[str, Any]) -> tuple[list[Hit], int]:
        total = int(response["hits"]["total"]["value"])
        hits = [
            self._hit(h, float(h["_score"] or 0.0), q.highlights_of(h))
            for h in response["hits"]["hits"]
        ]
        return hits, total

    def _text_ranking(
        self,
        text: str,
        filters: Filters | None,
        size: int,
        offset: int = 0,
        sort: Sort | None = None,
        *,
        any_word_fallback: bool = True,
        first: dict[str, Any] | None = None,
    ) -> tuple[list[Hit], int, bool]:
        """Every word, else (when none has them all) most of them (`french_text.relaxations`);
        the flag says whether it had to relax. `first`: the every-word response when it was
        already fetched (hybrid search sends it with the kNN search)."""
        count = len(q.query_words(text))
        for need in relaxations(count) if any_word_fallback else [count]:
            if first is not None and need == count:
                response = first
            else:
                body = self._text_body(text, filters, size, offset, sort, need=need)
                if body is None:
                    return [], 0, False
                (response,) = self._msearch("text search", [body])
            hits, total = self._text_hits(response)
            if total:
                for hit in hits:
                    hit.lexical = "all" if need == count else "some"
                return hits, total, need < count
        return [], 0, False

    def search_text(
        self,
        query: str,
        filters: Filters | None = None,
        limit: int = 20,
        offset: int = 0,
        sort: Sort | None = None,
        any_word_fallback: bool = True,
    ) -> SearchResult:
        has_words = bool(q.query_words(query))
        order = effective_sort(sort, has_words)
        if not has_words:
            return self._listing(filters, limit, offset, order)
        hits, total, any_word = self._text_ranking(
            query, filters, limit, offset, order, any_word_fallback=any_word_fallback
        )
        return SearchResult(hits=hits, total=total, any_word=any_word)

    def _listing(
        self, filters: Filters | None, limit: int, offset: int, sort: Sort
    ) -> SearchResult:
        """Every notice matching the filters, in `sort` order, with the exact total."""
        response = self._search(
            "listing",
            query=q.filter_query(filters),
            from_=offset,
            size=limit,
            track_total_hits=True,
            sort=q.sort_clause(sort),
        )
        hits = [self._hit(h, 0.0) for h in response["hits"]["hits"]]
        return SearchResult(hits=hits, total=int(response["hits"]["total"]["value"]))

    def _vector_hits(self, response: dict[str, Any]) -> list[Hit]:
        hits = [
            self._hit(h, q.cosine_from_score(float(h["_score"]))) for h in response["hits"]["hits"]
        ]
        for hit in hits:
            hit.similarity = hit.score
        hits.sort(key=lambda h: (-h.score, h.notice.uid))
        return hits

    @staticmethod
    def _knn_body(vector: np.ndarray, filters: Filters | None, limit: int) -> dict[str, Any]:
        return {"knn": q.knn_clause(vector, filters, limit), "size": limit}

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
        if depth <= 0:
            return SearchResult(hits=[], total=0)
        # the kNN search and the count of notices with a vector, in one round trip
        counted = q.filter_query(filters, {"exists": {"field": VECTOR_FIELD}})
        knn, count = self._msearch(
            "vector search",
            [
                self._knn_body(vector, filters, depth),
                {"query": counted, "size": 0, "track_total_hits": True},
            ],
        )
        found = self._vector_hits(knn)
        kept = {u for u, _ in vector_floor([(h.notice.uid, h.score) for h in found], floor)}
        hits = [h for h in found if h.notice.uid in kept]
        # every candidate above the floor: their number is the truth; else a lower bound
        total = len(hits) if len(hits) < len(found) else int(count["hits"]["total"]["value"])
        return SearchResult(hits=page_hits(hits, order, limit, offset), total=total)

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
        if effective_sort(sort, True).key is SortKey.RELEVANCE:
            return self._hybrid_by_relevance(query, vector, filters, limit, offset, floor)
        depth = candidate_depth(limit, offset)
        text_body = self._text_body(query, filters, depth)
        bodies = [self._knn_body(vector, filters, depth)]
        if text_body is not None:
            bodies.append(text_body)
        # the kNN search and the every-word search in one round trip; any word only if needed
        responses = self._msearch("hybrid search", bodies)
        vec = self._vector_hits(responses[0])
        text, text_total, any_word = (
            self._text_ranking(query, filters, depth, first=responses[1])
            if text_body is not None
            else ([], 0, False)
        )
        by_uid = {h.notice.uid: h for h in vec}
        by_uid.update({h.notice.uid: h for h in text})  # text hits carry the highlights
        fused = fuse_with_floor(
            [(h.notice.uid, h.score) for h in text],
            [(h.notice.uid, h.score) for h in vec],
            any_word,
            floor,
        )
        hits = [
            Hit(
                by_uid[uid].notice,
                score,
                by_uid[uid].highlights,
                by_uid[uid].updated_at,
                lexical,
                similarity,
            )
            for uid, score, lexical, similarity in fused
        ]
        page = page_hits(hits, effective_sort(sort, True), limit, offset)
        # every-word hits are all kept, so their count stands; fallback hits passed the floor
        total = len(hits) if any_word else max(text_total, len(hits))
        return SearchResult(hits=page, total=total)

    def _hybrid_by_relevance(
        self,
        query: str,
        vector: np.ndarray,
        filters: Filters | None,
        limit: int,
        offset: int,
        floor: RelevanceFloor | None,
    ) -> SearchResult:
        """Hybrid search in relevance order: both rankings come back as ids and scores only, and
        the fused page's documents (with their highlights) are read in one more request. Parsing
        two candidate lists of full notices cost more than the searches themselves."""
        depth = candidate_depth(limit, offset)
        count = len(q.query_words(query))
        text_body = self._text_body(query, filters, depth)
        bodies = [{**self._knn_body(vector, filters, depth), "_source": False}]
        if text_body is not None:
            bodies.append(_ids_only(text_body))
        responses = self._msearch("hybrid search", bodies)
        vec = sorted(
            ((h["_id"], q.cosine_from_score(float(h["_score"]))) for h in _raw_hits(responses[0])),
            key=lambda pair: (-pair[1], pair[0]),
        )
        text: list[tuple[str, float]] = []
        text_total, any_word = 0, False
        for need in relaxations(count) if text_body is not None else []:
            response = responses[1]
            if need < count:
                body = self._text_body(query, filters, depth, need=need)
                (response,) = self._msearch("text search", [_ids_only(body or {})])
            if response["hits"]["total"]["value"]:
                text = [(h["_id"], float(h["_score"] or 0.0)) for h in _raw_hits(response)]
                text_total, any_word = int(response["hits"]["total"]["value"]), need < count
                break
        fused = fuse_with_floor(text, vec, any_word, floor)
        page = fused[offset : offset + limit]
        found = self._page_documents(query, [uid for uid, *_ in page])
        hits = [
            Hit(found[uid].notice, score, found[uid].highlights, found[uid].updated_at, lex, cos)
            for uid, score, lex, cos in page
            if uid in found
        ]
        # every-word hits are all kept, so their count stands; fallback hits passed the floor
        total = len(fused) if any_word else max(text_total, len(fused))
        return SearchResult(hits=hits, total=total)

    def _page_documents(self, query: str, uids: list[str]) -> dict[str, Hit]:
        """The documents of one page of results, with the query's highlights."""
        if not uids:
            return {}
        response = self._search(
            "hybrid search page",
            query={"ids": {"values": uids}},
            size=len(uids),
            highlight=q.highlight(query),
        )
        return {h["_id"]: self._hit(h, 0.0, q.highlights_of(h)) for h in _raw_hits(response)}

    def facets(
        self, filters: Filters | None = None, query: str | None = None
    ) -> dict[str, dict[str, int]]:
        """Counts per value of each `FACET_FIELDS` facet over what the query + filters find
        (every word, else most of them, as text search does)."""
        aggs = q.facet_aggregations(_now().date())
        if not query or not q.query_words(query):
            response = self._search("facets", query=q.filter_query(filters), size=0, aggs=aggs)
            return q.facets_from(response.get("aggregations", {}), FACET_FIELDS)
        for need in relaxations(len(q.query_words(query))):
            response = self._search(
                "facets",
                query=q.text_query(query, filters, need=need),
                size=0,
                track_total_hits=True,
                aggs=aggs,
            )
            if response["hits"]["total"]["value"]:
                break
        return q.facets_from(response.get("aggregations", {}), FACET_FIELDS)

    def compact(self, changed: int) -> CompactReport:
        """Force-merge the index after a large write (rule and bounds in es_compact.py)."""
        return compact_index(self, changed)
