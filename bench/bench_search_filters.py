"""The search page's operations at scale: listings, sorts, the new filters and facets, per store.

Same generated notices as bench_store.py (copies of the real samples with a CPV label, a
département, a deadline, a publication day; random unit vectors, 384 dimensions). For each store,
each operation runs --queries times with varied words and départements; reported are p50 and
p95 in milliseconds and the ratio of p50 to the baseline measured in the same process: a filtered
text search by relevance (département + words, limit 20) — the operation the stores had before.

    .venv/bin/python bench/bench_search_filters.py --count 20000 [--es-url http://127.0.0.1:9200]

Without --es-url only the embedded store is measured (VEILLEUSE_TEST_ES_URL is used if set).
Nothing is written into the repository: SQLite lives in a temporary folder, indices are deleted.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_store import DEPARTMENTS, DIM, MODEL, QUERIES, Generator, load_bases, load_cpv

from veilleuse.config.settings import StoreSettings
from veilleuse.search.embedded_store import EmbeddedStore
from veilleuse.search.store import Filters, NoticeStore, Sort, SortKey

LIMIT = 20
BUYER_WORDS = ["commune", "departement", "region", "ville", "metropole", "syndicat"]


def fill(store: NoticeStore, gen: Generator, count: int) -> float:
    started = time.perf_counter()
    for start in range(0, count, 2000):
        n = min(2000, count - start)
        store.write([gen.notice(i) for i in range(start, start + n)])
        vectors = gen.vectors(start, n)
        store.set_vectors({gen.uid(start + j): vectors[j] for j in range(n)}, MODEL)
    return time.perf_counter() - started


def operations(today_cut: datetime) -> dict[str, Callable[[NoticeStore, random.Random], Any]]:
    def deps(rng: random.Random) -> list[str]:
        return rng.sample(DEPARTMENTS, 2)

    def vector(rng: random.Random) -> Any:
        import numpy as np

        raw = np.random.default_rng(rng.randint(0, 10**9)).standard_normal(DIM).astype("float32")
        return raw / np.linalg.norm(raw)

    newest = Sort(key=SortKey.PUBLISHED, descending=True)
    return {
        "baseline: text + dép., relevance": lambda s, r: s.search_text(
            r.choice(QUERIES), Filters(departments=deps(r)), limit=LIMIT
        ),
        "listing, no filter (deadline sort)": lambda s, r: s.search_text("", limit=LIMIT),
        "listing + dép., page 3": lambda s, r: s.search_text(
            "", Filters(departments=deps(r)), limit=LIMIT, offset=2 * LIMIT
        ),
        "listing, newest first": lambda s, r: s.search_text("", sort=newest, limit=LIMIT),
        "text + dép., deadline sort": lambda s, r: s.search_text(
            r.choice(QUERIES),
            Filters(departments=deps(r)),
            limit=LIMIT,
            sort=Sort(key=SortKey.DEADLINE),
        ),
        "listing + buyer contains": lambda s, r: s.search_text(
            "", Filters(buyer=r.choice(BUYER_WORDS)), limit=LIMIT
        ),
        # a territory's own buyers (issue 16): the MEL's 95 communes and the EPCI, by SIREN or
        # postcode, read from each document the other filters keep — here every notice
        "listing + buyer area (MEL)": lambda s, r: s.search_text(
            "", Filters(buyer_areas=["200093201"]), limit=LIMIT
        ),
        "listing + published last 30 d": lambda s, r: s.search_text(
            "", Filters(published_from=today_cut.date() - timedelta(days=30)), limit=LIMIT
        ),
        "listing + amount ≥ 100 k€": lambda s, r: s.search_text(
            "", Filters(amount_min=100_000), limit=LIMIT
        ),
        "changes feed (updated since, oldest first)": lambda s, r: s.search_text(
            "",
            Filters(updated_since=today_cut - timedelta(minutes=r.randint(0, 5))),
            sort=Sort(key=SortKey.UPDATED),
            limit=100,
        ),
        "facets, no words": lambda s, r: s.facets(Filters(departments=deps(r))),
        "facets, words + dép.": lambda s, r: s.facets(
            Filters(departments=deps(r)), r.choice(QUERIES)
        ),
        "hybrid + dép., limit 20": lambda s, r: s.search_hybrid(
            r.choice(QUERIES), vector(r), Filters(departments=deps(r)), limit=LIMIT
        ),
        "hybrid + dép., deadline sort": lambda s, r: s.search_hybrid(
            r.choice(QUERIES),
            vector(r),
            Filters(departments=deps(r)),
            limit=LIMIT,
            sort=Sort(key=SortKey.DEADLINE),
        ),
    }


def measure(store: NoticeStore, runs: int, today_cut: datetime) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for name, op in operations(today_cut).items():
        rng = random.Random(7)
        op(store, rng)  # warm-up
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            op(store, rng)
            times.append((time.perf_counter() - started) * 1000)
        out[name] = times
    return out


def report(label: str, count: int, filled: float, results: dict[str, list[float]]) -> None:
    base = statistics.median(next(iter(results.values())))
    print(f"\n{label}: {count} notices written with vectors in {filled:.1f} s")
    print(f"{'operation':<44} {'p50 ms':>8} {'p95 ms':>8} {'× base':>7}")
    for name, times in results.items():
        p50 = statistics.median(times)
        p95 = sorted(times)[max(0, round(0.95 * len(times)) - 1)]
        print(f"{name:<44} {p50:8.1f} {p95:8.1f} {p50 / base:7.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=20_000, help="generated notices")
    parser.add_argument("--queries", type=int, default=30, help="runs per operation and store")
    parser.add_argument("--es-url", default=os.environ.get("VEILLEUSE_TEST_ES_URL"))
    args = parser.parse_args()
    gen = Generator(load_bases(), load_cpv(), datetime.now(UTC).date())
    with tempfile.TemporaryDirectory() as folder:
        embedded = EmbeddedStore(Path(folder) / "notices.sqlite3")
        filled = fill(embedded, gen, args.count)
        cut = datetime.now(UTC)
        report("embedded", args.count, filled, measure(embedded, args.queries, cut))
        embedded.close()
    if args.es_url:
        from veilleuse.search.elasticsearch_store import ElasticsearchStore

        es = ElasticsearchStore(
            StoreSettings(url=args.es_url),  # type: ignore[call-arg]
            index_alias=f"bench-filters-{uuid.uuid4().hex[:8]}",
            dimension=DIM,
        )
        try:
            filled = fill(es, gen, args.count)
            cut = datetime.now(UTC)
            report("elasticsearch", args.count, filled, measure(es, args.queries, cut))
        finally:
            es.drop()
            es.close()


if __name__ == "__main__":
    main()
