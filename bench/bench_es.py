"""Elasticsearch at scale: one-pass writes against a bare helpers.bulk, filtered search latency,
kNN recall against exact search. Issue 14, targets 2 and 3.

Data (deterministic): the notices of bench_store.py's `Generator` (copies of the real samples in
`data/samples/` with a real CPV code and label, a département, a deadline, a publication day, a
dozen sample words; seed 20261125). Vectors: each notice's `text_for_embedding()` hashed
(sha256) to the seed of a standard normal draw, normalised, dimension 384 (the model is not
measured: the benchmark's embedder does only this, and its time is subtracted).

Measured, in one run, on fresh indices with the product's settings and mappings (int8_hnsw):

- writes: a bare `helpers.bulk` of the documents with their vectors (`to_document` with the
  vector fields, the product's chunk size, one refresh at the end) — the baseline; then
  `ElasticsearchStore.write(notices, embedder=...)` of the same notices into an empty index
  (hash lookups, change instants, vectors in the same bulk, one refresh). Ratio = docs/s over
  the baseline's. The generation of notices and vectors is excluded from both.
- search over the store's index: p50/p95 of text, vector and hybrid search (limit 20) with
  filters — département(s) + kind + open + deadline range; CPV prefix + kind + open; eight
  départements + open — --queries queries per type, after 10 warm-up queries.
- kNN recall@20 of `search_vector` against the exact top 20 (every notice matching the filters,
  its vector's dot product with the query computed in numpy: a brute force, as script_score
  would be; the test distribution has no Painless), for several `num_candidates`.

- with --forcemerge: the search figures are measured twice on the same index, as written
  (the baseline) and after `ElasticsearchStore.compact` (the weekly force-merge into
  `store.forcemerge_segments`, its own time measured), with the segment counts; recall is
  measured after the merge.
- with --profile N: for N hybrid queries, each request the store sends (the kNN + every-word
  `msearch`, any relaxed text search, the page's documents) with its round trip and the
  server's `took`.

    .venv/bin/python bench/bench_es.py --count 100000 --es-url http://127.0.0.1:9200
    .venv/bin/python bench/bench_es.py --count 1000000 --skip-baseline --forcemerge  # 1M
    .venv/bin/python bench/bench_es.py --reuse ALIAS --forcemerge   # an index kept by --keep

--reuse measures the search part again on an index written by an earlier run with --keep (same
generator, same day: the exact reference vectors are recomputed for the rows the recall queries
match only).

Without --es-url: VEILLEUSE_TEST_ES_URL, else a running scripts/elasticsearch.sh node, else one
started here and stopped at the end. Indices are deleted at the end (--keep keeps the store's).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import signal
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_store import (
    DIM,
    SEED,
    Generator,
    QuerySpec,
    Timed,
    es_node,
    load_bases,
    load_cpv,
    percentile,
    query_specs,
)

from veilleuse.config.settings import StoreSettings
from veilleuse.core.models import Notice, NoticeStatus
from veilleuse.search import es_query
from veilleuse.search.es_mapping import SEARCH, index_body, iso_utc, to_document
from veilleuse.search.store import notice_vectors

LIMIT = 20
MODEL = "bench-hashed-unit"


def text_vector(text: str) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
    row = np.random.default_rng([SEED, seed]).standard_normal(DIM).astype(np.float32)
    return row / np.linalg.norm(row)


class BenchEmbedder:
    """The benchmark's embedder: deterministic vectors from the text, its time accounted."""

    name = MODEL
    dimension = DIM

    def __init__(self) -> None:
        self.spent = 0.0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        started = time.perf_counter()
        out = np.vstack([text_vector(t) for t in texts]) if texts else np.zeros((0, DIM))
        self.spent += time.perf_counter() - started
        return out.astype(np.float32)


@dataclass
class Rate:
    name: str
    docs: int
    seconds: float

    @property
    def per_s(self) -> float:
        return self.docs / self.seconds


def pairs(
    gen: Generator, start: int, stop: int, matrix: np.ndarray
) -> Iterator[tuple[Notice, np.ndarray]]:
    """Notices start..stop-1 and their vectors (also kept in `matrix`, the exact reference)."""
    embedder = BenchEmbedder()
    for i in range(start, stop):
        notice = gen.notice(i)
        (matrix[i],) = notice_vectors(embedder, [notice])
        yield notice, matrix[i]


class BareBulk:
    """The baseline: the same documents, vectors included, through helpers.bulk into a fresh
    index with the product's settings and mappings; a refresh after each round."""

    def __init__(self, es: Any, chunk: int) -> None:
        self.es, self.chunk = es, chunk
        self.index = f"bench-es-bare-{uuid.uuid4().hex[:8]}"
        es.indices.create(index=self.index, **index_body("standard", DIM))

    def write(self, gen: Generator, start: int, stop: int, matrix: np.ndarray) -> float:
        from elasticsearch import helpers

        feed = Timed(pairs(gen, start, stop, matrix))
        now = iso_utc(datetime.now(UTC))

        def actions() -> Iterator[dict[str, Any]]:
            for notice, vec in feed:
                carried = {
                    "vector": vec.tolist(),
                    "vector_model": MODEL,
                    "vector_hash": notice.content_hash,
                    "updated_at": now,
                }
                yield {"_id": notice.uid, "_source": to_document(notice, carried)}

        started = time.perf_counter()
        ok, _ = helpers.bulk(self.es, actions(), index=self.index, chunk_size=self.chunk)
        self.es.indices.refresh(index=self.index)
        if ok != stop - start:
            raise SystemExit(f"bare bulk wrote {ok} of {stop - start}")
        return time.perf_counter() - started - feed.spent

    def drop(self) -> None:
        self.es.indices.delete(index=self.index, ignore_unavailable=True)


def store_write(store: Any, gen: Generator, start: int, stop: int) -> float:
    feed = Timed(gen.notice(i) for i in range(start, stop))
    embedder = BenchEmbedder()
    started = time.perf_counter()
    report = store.write(feed, embedder=embedder)
    seconds = time.perf_counter() - started - feed.spent - embedder.spent
    if len(report.created) != stop - start:
        raise SystemExit(f"store write: {report.summary()}, failures {report.failed[:3]}")
    return seconds


def interleaved_writes(
    es: Any, store: Any, gen: Generator, count: int, args: Any, matrix: np.ndarray, began: float
) -> tuple[Rate | None, Rate]:
    """Both systems write the same notices round by round (`--round` notices each, the one
    going first alternating), so the machine's load weighs on both alike."""
    bare = None if args.skip_baseline else BareBulk(es, args.chunk_size)
    spent = {"bare": 0.0, "store": 0.0}
    try:
        for r, start in enumerate(range(0, count, args.round)):
            stop = min(count, start + args.round)
            if bare is None:
                for _ in pairs(gen, start, stop, matrix):
                    pass  # the exact search's reference vectors
                spent["store"] += store_write(store, gen, start, stop)
            else:
                for who in ("bare", "store") if r % 2 == 0 else ("store", "bare"):
                    spent[who] += (
                        bare.write(gen, start, stop, matrix)
                        if who == "bare"
                        else store_write(store, gen, start, stop)
                    )
            done = ", ".join(f"{k} {stop / v:.0f} docs/s" for k, v in spent.items() if v)
            print(f"[{time.perf_counter() - began:5.0f} s] {stop} written: {done}", flush=True)
    finally:
        if bare is not None:
            bare.drop()
    written = Rate("ElasticsearchStore.write(embedder=...)", count, spent["store"])
    if bare is None:
        return None, written
    return Rate("bare helpers.bulk (vectors in the documents)", count, spent["bare"]), written


class LazyVectors:
    """The exact reference vectors of an index written by an earlier run (--reuse): computed
    from the generator for the rows asked only, and kept."""

    def __init__(self, gen: Generator) -> None:
        self.gen, self.embedder = gen, BenchEmbedder()
        self.rows: dict[int, np.ndarray] = {}

    def __getitem__(self, rows: np.ndarray) -> np.ndarray:
        for i in rows.tolist():
            if i not in self.rows:
                (self.rows[i],) = notice_vectors(self.embedder, [self.gen.notice(i)])
        return np.vstack([self.rows[i] for i in rows.tolist()]) if len(rows) else np.zeros((0, DIM))


def merged(store: Any, count: int) -> Any:
    """The product's weekly compaction, with a wait long enough for a million notices."""
    store.settings = store.settings.model_copy(
        update={"forcemerge_timeout": 4 * 3600.0, "forcemerge_min_changed": 0}
    )
    report = store.compact(changed=count)
    print(f"compact: {report.outcome}: {report.detail}", flush=True)
    if report.outcome != "merged":
        raise SystemExit(f"the index was not merged: {report}")
    return report


def profiled_hybrid(store: Any, specs: list[QuerySpec]) -> list[list[tuple[str, float, int]]]:
    """Each hybrid query's requests: (which, round trip ms, server took ms)."""
    calls: list[tuple[str, float, int]] = []
    msearch, search = store.client.msearch, store.client.search

    def timed(name: str, call: Callable[..., Any]) -> Callable[..., Any]:
        def run(**kw: Any) -> Any:
            started = time.perf_counter()
            out = call(**kw)
            ms = (time.perf_counter() - started) * 1000
            took = (
                [r.get("took", 0) for r in out["responses"]] if name == "msearch" else [out["took"]]
            )
            what = "+".join("knn" if "knn" in b else "text" for b in kw.get("searches", [])[1::2])
            calls.append((what or name, ms, max(took)))
            return out

        return run

    store.client.msearch, store.client.search = timed("msearch", msearch), timed("page", search)
    out = []
    try:
        for spec in specs:
            calls.clear()
            store.search_hybrid(spec.text, spec.vector, spec.filters, limit=LIMIT)
            out.append(list(calls))
    finally:
        store.client.msearch, store.client.search = msearch, search
    return out


def print_profile(profile: list[list[tuple[str, float, int]]], total_ms: list[float]) -> None:
    print(f"\nHybrid profile ({len(profile)} queries): requests per query and their share")
    kinds: dict[str, list[tuple[float, int]]] = {}
    for calls in profile:
        for what, ms, took in calls:
            kinds.setdefault(what, []).append((ms, took))
    print(f"{'request':<12}{'count':>7}{'rt p50':>8}{'rt p95':>8}{'took p50':>10}{'took p95':>10}")
    for what, rows in sorted(kinds.items()):
        rts, tooks = [r for r, _ in rows], [float(t) for _, t in rows]
        print(
            f"{what:<12}{len(rows):>7}{percentile(rts, 50):>8.1f}{percentile(rts, 95):>8.1f}"
            f"{percentile(tooks, 50):>10.1f}{percentile(tooks, 95):>10.1f}"
        )
    extra = sum(1 for calls in profile if sum(1 for c in calls if c[0] == "text") > 0)
    print(f"queries needing a relaxed text search: {extra} of {len(profile)}")
    print(f"whole call p50/p95: {percentile(total_ms, 50):.1f}/{percentile(total_ms, 95):.1f} ms")


def open_specs(n: int, gen: Generator) -> list[QuerySpec]:
    """bench_store's filtered queries, each also restricted to open notices."""
    specs = query_specs(n, gen)
    for spec in specs:
        spec.filters.statuses = [NoticeStatus.OPEN]
    return specs


def latencies(store: Any, specs: list[QuerySpec]) -> dict[str, tuple[list[float], list[int]]]:
    calls: dict[str, Callable[[QuerySpec], Any]] = {
        "text": lambda s: store.search_text(s.text, s.filters, limit=LIMIT),
        "vector": lambda s: store.search_vector(s.vector, s.filters, limit=LIMIT),
        "hybrid": lambda s: store.search_hybrid(s.text, s.vector, s.filters, limit=LIMIT),
    }
    out = {}
    for kind, call in calls.items():
        for spec in specs[:10]:
            call(spec)
        ms, hits = [], []
        for spec in specs:
            started = time.perf_counter()
            result = call(spec)
            ms.append((time.perf_counter() - started) * 1000)
            hits.append(len(result.hits))
        out[kind] = (ms, hits)
    return out


def matching_rows(store: Any, spec: QuerySpec) -> np.ndarray:
    """Row numbers (generator indices) of every notice matching the spec's filters."""
    rows: list[int] = []
    after: list[Any] | None = None
    while True:
        extra = {"search_after": after} if after else {}
        response = store.client.search(
            index=store.alias,
            query=es_query.filter_query(spec.filters, {"exists": {"field": f"{SEARCH}.vector"}}),
            sort=[{"uid": "asc"}],
            size=10_000,
            source=False,
            track_total_hits=False,
            **extra,
        )
        hits = response["hits"]["hits"]
        rows += [int(h["_id"].rsplit(":", 1)[1]) for h in hits]
        if len(hits) < 10_000:
            return np.asarray(rows, dtype=np.int64)
        after = hits[-1]["sort"]


def exact_top(store: Any, specs: list[QuerySpec], matrix: Any) -> list[set[int]]:
    tops = []
    for spec in specs:
        rows = matching_rows(store, spec)
        scores = matrix[rows] @ spec.vector.astype(np.float32)
        best = rows[np.argsort(-scores, kind="stable")[:LIMIT]]
        tops.append(set(best.tolist()))
    return tops


def knn_recall(store: Any, specs: list[QuerySpec], exact: list[set[int]]) -> tuple[float, float]:
    """Mean recall@20 and mean vector-search milliseconds with the current kNN parameters."""
    recalls, ms = [], []
    for spec, top in zip(specs, exact, strict=True):
        started = time.perf_counter()
        got = store.search_vector(spec.vector, spec.filters, limit=LIMIT).uids()
        ms.append((time.perf_counter() - started) * 1000)
        if top:
            found = {int(u.rsplit(":", 1)[1]) for u in got}
            recalls.append(len(found & top) / len(top))
    return statistics.mean(recalls), statistics.mean(ms)


def index_stats(store: Any) -> str:
    stats = store.client.indices.stats(index=store.alias, metric="store,segments,docs")
    total = stats["_all"]["primaries"]
    size = total["store"]["size_in_bytes"] / 2**20
    return (
        f"{total['docs']['count']} docs ({total['docs']['deleted']} deleted), {size:.0f} MiB on "
        f"disk (primaries), {total['segments']['count']} segments"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--es-url", default=None)
    parser.add_argument("--queries", type=int, default=200, help="queries per type")
    parser.add_argument("--recall-queries", type=int, default=100)
    parser.add_argument("--chunk-size", type=int, default=StoreSettings().bulk_chunk_size)
    parser.add_argument("--round", type=int, default=10_000, help="notices per write round")
    parser.add_argument("--skip-baseline", action="store_true", help="search figures only")
    parser.add_argument("--keep", action="store_true", help="keep the store's index")
    parser.add_argument("--reuse", metavar="ALIAS", help="search an index kept by --keep")
    parser.add_argument(
        "--forcemerge", action="store_true", help="search before and after the weekly merge"
    )
    parser.add_argument("--profile", type=int, default=0, help="hybrid queries to profile")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    from elasticsearch import Elasticsearch

    from veilleuse.search.elasticsearch_store import ElasticsearchStore

    gen = Generator(load_bases(), load_cpv(), datetime.now(UTC).date())
    url, stop = es_node(args.es_url)
    es = Elasticsearch(url, request_timeout=300)
    began = time.perf_counter()
    settings = StoreSettings(url=url, text_analyzer="standard", bulk_chunk_size=args.chunk_size)
    alias = args.reuse or f"bench-es-{uuid.uuid4().hex[:8]}"
    store = ElasticsearchStore(settings, index_alias=alias, dimension=DIM)
    count = store.count() if args.reuse else args.count
    print(
        f"{count} notices generated from {len(gen.bases)} real ones (seed {SEED}); vectors "
        f"hashed from the text, dim {DIM}; Elasticsearch {url}, index {alias}"
        f"{' (reused)' if args.reuse else ''}; chunk {args.chunk_size}; {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f} at start",
        flush=True,
    )
    bare, written, before, merge, profile = None, None, None, None, None
    try:
        if args.reuse:
            matrix: Any = LazyVectors(gen)
        else:
            matrix = np.zeros((count, DIM), dtype=np.float32)
            warm = BareBulk(es, args.chunk_size)  # JIT and caches warm for both systems
            warm.write(gen, 0, min(count, 2000), matrix)
            warm.drop()
            store.ensure_index()
            bare, written = interleaved_writes(es, store, gen, count, args, matrix, began)
        print(f"index: {index_stats(store)}", flush=True)
        specs = open_specs(args.queries, gen)
        if args.forcemerge:
            before = latencies(store, specs)
            print(f"[{time.perf_counter() - began:5.0f} s] queried before the merge", flush=True)
            merge = merged(store, count)
            print(f"index: {index_stats(store)}", flush=True)
        runs = latencies(store, specs)
        print(f"[{time.perf_counter() - began:5.0f} s] queried", flush=True)
        if args.profile:
            profile = profiled_hybrid(store, specs[: args.profile])
        rspecs = specs[: args.recall_queries]
        exact = exact_top(store, rspecs, matrix)
        sweep = []
        default = (es_query.MIN_CANDIDATES, es_query.CANDIDATES_PER_HIT)
        for low, per in [(40, 2), (100, 5), (200, 10), (400, 20)]:
            es_query.MIN_CANDIDATES, es_query.CANDIDATES_PER_HIT = low, per
            sweep.append((es_query.num_candidates(LIMIT), *knn_recall(store, rspecs, exact)))
        es_query.MIN_CANDIDATES, es_query.CANDIDATES_PER_HIT = default
    finally:
        if not args.keep:
            store.drop()
        store.close()
        es.close()
        if stop:
            stop()
    if written is not None:
        report_writes(bare, written)
    if before is not None and merge is not None:
        report_search(before, len(specs), f"as written, {merge.segments_before} segments")
        print(
            f"\nforce-merge: {merge.segments_before} -> {merge.segments_after} segments in "
            f"{merge.seconds:.1f} s"
        )
    report_search(runs, len(specs), f"{merge.segments_after} segment(s)" if merge else "")
    if before is not None:
        print(
            "\np95 after the merge / before:",
            ", ".join(
                f"{k} {percentile(runs[k][0], 95) / percentile(before[k][0], 95):.2f}" for k in runs
            ),
        )
    if profile is not None:
        print_profile(profile, runs["hybrid"][0][: len(profile)])
    report_recall(sweep, len(rspecs))
    print(
        f"total wall time {time.perf_counter() - began:.0f} s; load average at end {os.getloadavg()[0]:.1f}"
    )


def report_writes(bare: Rate | None, written: Rate) -> None:
    print("\nWrites (ratio = docs/s over the bare helpers.bulk of the same documents)")
    print(f"{'system':<48}{'docs':>9}{'seconds':>10}{'docs/s':>10}{'vs bare':>9}")
    for r in [x for x in (bare, written) if x is not None]:
        ratio = f"{r.per_s / bare.per_s:>9.2f}" if bare else f"{'-':>9}"
        print(f"{r.name:<48}{r.docs:>9}{r.seconds:>10.1f}{r.per_s:>10.0f}{ratio}")


def report_search(runs: dict[str, tuple[list[float], list[int]]], n: int, what: str) -> None:
    print(
        f"\nFiltered search ({n} queries per type, limit {LIMIT}, filters always include open)"
        + (f", {what}" if what else "")
    )
    print(f"{'query':<8}{'p50 ms':>9}{'p95 ms':>9}{'mean ms':>9}{'mean hits':>11}")
    for kind, (ms, hits) in runs.items():
        print(
            f"{kind:<8}{percentile(ms, 50):>9.1f}{percentile(ms, 95):>9.1f}"
            f"{statistics.mean(ms):>9.1f}{statistics.mean(hits):>11.1f}"
        )


def report_recall(sweep: list[tuple[int, float, float]], nr: int) -> None:
    default = es_query.num_candidates(LIMIT)
    print(f"\nkNN recall@{LIMIT} against exact search ({nr} filtered queries)")
    print(f"{'num_candidates':<16}{'recall':>8}{'mean ms':>9}")
    for cands, rec, mean_ms in sweep:
        mark = "  <- product setting" if cands == default else ""
        print(f"{cands:<16}{rec:>8.3f}{mean_ms:>9.1f}{mark}")


if __name__ == "__main__":
    main()
