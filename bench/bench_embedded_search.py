"""The embedded store's text, vector and hybrid search at scale, with and without filters.

Issue 14, target 4: p95 < 300 ms at 100 000 notices. Data: bench_store.py's deterministic
generator (copies of the real samples with a real CPV code and label, one département, a deadline
from 90 days ago to 240 days ahead, a publication day; random unit vectors, 384 dimensions, numpy
default_rng with a fixed seed). Queries: fixed seed; words from `QUERIES`, random unit vectors.

Filter shapes (each run with text, vector and hybrid search, limit 20):
  none     no filter
  dép.     two départements + kind tender + deadline not passed
  CPV      a CPV division (2 digits) + one source
  open     kind tender + deadline not passed (a broad filter: about half the notices)
  all      one département + CPV division + kind + deadline not passed + source

Baselines measured in the same run, on the same data, by the bare operations the store wraps:
  numpy    `matrix @ v` + `argpartition` over every vector, held in memory (float32)
  fts5     `SELECT rowid FROM notices_fts WHERE notices_fts MATCH ? ORDER BY rank LIMIT 20`
Each operation is reported as p50 / p95 in milliseconds and as its p95 over the baseline's p50
(numpy for vector and hybrid, fts5 for text).

    .venv/bin/python bench/bench_embedded_search.py --count 100000 [--folder /tmp/bench-store]

With --folder the store is kept there and reused by a later run over the same count (a store
written by an older version of the code is migrated in place on open, which this measures too);
without it, the store lives in a temporary folder.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_store import DEPARTMENTS, DIM, MODEL, QUERIES, Generator, load_bases, load_cpv

from veilleuse.core.models import NoticeKind
from veilleuse.search.embedded_store import EmbeddedStore
from veilleuse.search.store import Filters

LIMIT = 20
SEED = 20261130


def fill(store: EmbeddedStore, gen: Generator, count: int) -> float:
    started = time.perf_counter()
    for start in range(0, count, 2000):
        n = min(2000, count - start)
        store.write([gen.notice(i) for i in range(start, start + n)])
        vectors = gen.vectors(start, n)
        for part in range(0, n, 256):  # batches of 256, as embed_missing
            store.set_vectors(
                {gen.uid(start + j): vectors[j] for j in range(part, min(n, part + 256))}, MODEL
            )
    return time.perf_counter() - started


def filter_shapes(gen: Generator) -> dict[str, Callable[[random.Random], Filters | None]]:
    sources = sorted({gen.notice(i).source for i in range(300)})
    divisions = sorted({code[:2] for code, _ in gen.cpv})
    tender = [NoticeKind.TENDER]
    return {
        "none": lambda r: None,
        "dép.": lambda r: Filters(
            departments=r.sample(DEPARTMENTS, 2), kinds=tender, deadline_from=gen.today
        ),
        "CPV": lambda r: Filters(cpv_prefixes=[r.choice(divisions)], sources=[r.choice(sources)]),
        "open": lambda r: Filters(kinds=tender, deadline_from=gen.today),
        "all": lambda r: Filters(
            departments=[r.choice(DEPARTMENTS)],
            cpv_prefixes=[r.choice(divisions)],
            kinds=tender,
            deadline_from=gen.today,
            sources=[r.choice(sources)],
        ),
    }


def unit(r: random.Random) -> np.ndarray:
    raw = np.random.default_rng(r.randint(0, 10**9)).standard_normal(DIM).astype(np.float32)
    return raw / np.linalg.norm(raw)


def operations(
    store: EmbeddedStore, gen: Generator, matrix: np.ndarray
) -> dict[str, Callable[[random.Random], Any]]:
    conn = sqlite3.connect(store.path)

    def bare_numpy(r: random.Random) -> Any:
        scores = matrix @ unit(r)
        return np.argpartition(-scores, LIMIT)[:LIMIT]

    def bare_fts(r: random.Random) -> Any:
        return conn.execute(
            "SELECT rowid FROM notices_fts WHERE notices_fts MATCH ? ORDER BY rank LIMIT ?",
            (f'"{r.choice(QUERIES).split()[0]}"', LIMIT),
        ).fetchall()

    ops: dict[str, Callable[[random.Random], Any]] = {
        "baseline numpy": bare_numpy,
        "baseline fts5": bare_fts,
    }
    for shape, make in filter_shapes(gen).items():
        ops[f"text, {shape}"] = lambda r, make=make: store.search_text(
            r.choice(QUERIES), make(r), limit=LIMIT
        )
        ops[f"vector, {shape}"] = lambda r, make=make: store.search_vector(
            unit(r), make(r), limit=LIMIT
        )
        ops[f"hybrid, {shape}"] = lambda r, make=make: store.search_hybrid(
            r.choice(QUERIES), unit(r), make(r), limit=LIMIT
        )
    return ops


def measure(ops: dict[str, Callable[[random.Random], Any]], runs: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for name, op in ops.items():
        rng = random.Random(SEED)
        op(random.Random(SEED - 1))  # warm-up
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            op(rng)
            times.append((time.perf_counter() - started) * 1000)
        out[name] = times
    return out


def p95(times: list[float]) -> float:
    return sorted(times)[max(0, round(0.95 * len(times)) - 1)]


def report(results: dict[str, list[float]]) -> None:
    bases = {
        "numpy": statistics.median(results["baseline numpy"]),
        "fts5": statistics.median(results["baseline fts5"]),
    }
    print(f"{'operation':<22} {'p50 ms':>8} {'p95 ms':>8} {'p95 / base p50':>16}")
    for name, times in results.items():
        base = "fts5" if name.startswith(("text", "baseline fts5")) else "numpy"
        ratio = p95(times) / bases[base]
        print(
            f"{name:<22} {statistics.median(times):8.1f} {p95(times):8.1f} {ratio:10.1f} × {base}"
        )
    worst = max((p95(t), n) for n, t in results.items() if not n.startswith("baseline"))
    print(f"worst p95: {worst[0]:.1f} ms ({worst[1]})")


def run(folder: Path, count: int, runs: int) -> None:
    gen = Generator(load_bases(), load_cpv(), datetime.now(UTC).date())
    path = folder / "notices.sqlite3"
    fresh = not path.exists()
    started = time.perf_counter()
    store = EmbeddedStore(path)
    stored = store.count()
    print(f"opened {path} in {time.perf_counter() - started:.2f} s ({stored} notices)")
    if fresh or stored != count:
        print(f"{count} notices written with vectors in {fill(store, gen, count):.1f} s")
    started = time.perf_counter()
    store.search_vector(unit(random.Random(0)), limit=1)
    print(f"first vector search (builds the vector cache) {time.perf_counter() - started:.2f} s")
    vecs = store.get_vectors([gen.uid(i) for i in range(count)])
    matrix = np.vstack(list(vecs.values()))
    report(measure(operations(store, gen, matrix), runs))
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=100_000, help="generated notices")
    parser.add_argument("--queries", type=int, default=40, help="runs per operation")
    parser.add_argument("--folder", type=Path, help="keep (and reuse) the store here")
    args = parser.parse_args()
    if args.folder:
        args.folder.mkdir(parents=True, exist_ok=True)
        run(args.folder, args.count, args.queries)
    else:
        with tempfile.TemporaryDirectory() as folder:
            run(Path(folder), args.count, args.queries)


if __name__ == "__main__":
    main()
