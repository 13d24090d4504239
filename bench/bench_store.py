"""Notice stores at scale: bulk indexing and filtered search, embedded vs Elasticsearch, one run.

Notices are generated from the real samples (`data/samples/` via `parse_path`): each copies a
real one (its `raw` payload too, so documents keep a realistic size) with a real CPV code and its
French label in the title, a département (places, buyer, lots), a deadline from 90 days ago to
240 days ahead (a day, or an instant at +01:00/+02:00) and a dozen words from the samples'
vocabulary. Uids are `gen-<source>:<n>` (source `gen-boamp`, `gen-ted`…). Generation is
deterministic and lazy (bounded memory); its time is excluded from every measure. Vectors are
random unit vectors, dimension 384, numpy default_rng with a fixed seed: the model is not measured.

Reported: bulk docs/s of `EmbeddedStore.write`, `ElasticsearchStore.write` and a bare
`helpers.bulk` of the same documents (`to_document`) into a fresh index with the same settings,
mappings and chunk size (ratios against it); `set_vectors` (batches of 256, as `embed_missing`)
against bare partial updates of the first --vector-baseline notices; p50/p95 of text, vector and
hybrid search (limit 20) with filters (départements + kind + deadline range, CPV prefix + kind,
eight départements) over --queries queries on both stores; the recall of HNSW against exact kNN.

    .venv/bin/python bench/bench_store.py --count 100000 --es-url http://127.0.0.1:9200

Without --es-url: VEILLEUSE_TEST_ES_URL, else the node scripts/elasticsearch.sh runs, else a node
started here (state in a temporary folder) and stopped at the end. Nothing is written into the
repository: SQLite lives in a temporary folder, the Elasticsearch indices are deleted.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from datetime import time as dtime
from pathlib import Path
from typing import Any

import numpy as np

from veilleuse.config.settings import StoreSettings
from veilleuse.core.geo import department_name
from veilleuse.core.models import Notice, NoticeKind, NoticeStatus, Places
from veilleuse.search.embedded_store import EmbeddedStore
from veilleuse.search.es_mapping import index_body, to_document
from veilleuse.search.store import Filters, NoticeStore

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
ES_SCRIPT = ROOT / "scripts" / "elasticsearch.sh"
SEED = 20261125
DIM = 384
VECTOR_BATCH = 256  # what embed_missing uses
LIMIT = 20
MODEL = "bench-random-unit"
DEPARTMENTS = [
    d
    for d in [f"{n:02d}" for n in range(1, 96) if n != 20]
    + ["2A", "2B", *map(str, range(971, 977))]
    if department_name(d)
]
QUERIES = [
    "nettoyage", "espaces verts", "restauration scolaire", "insertion", "festival",
    "travaux de voirie", "eau potable", "associations culture", "entretien des locaux",
    "collecte des déchets", "transport", "formation professionnelle", "économie sociale",
    "handicap", "jeunesse", "rénovation énergétique", "alimentation", "numérique",
    "mobilité", "maintenance", "sport", "patrimoine", "santé", "emploi",
]  # fmt: skip


# --------------------------------------------------------------------------- generation


def load_bases() -> list[Notice]:
    from veilleuse.spiders.parsers import parse_path
    from veilleuse.spiders.recorded import recorded_files

    bases = [n for path in recorded_files(SAMPLES) for n in parse_path(path).notices]
    if not bases:
        raise SystemExit(f"no notice parsed from {SAMPLES}")
    return bases


def load_cpv() -> list[tuple[str, str]]:
    with (SAMPLES / "cpv" / "cpv_2008_fr.csv").open(encoding="utf-8", newline="") as f:
        return [(row["code"], row["label_fr"]) for row in csv.DictReader(f) if row["label_fr"]]


class Generator:
    """Deterministic notices and vectors: notice i and vector i are the same on every pass."""

    def __init__(self, bases: list[Notice], cpv: list[tuple[str, str]], today: date) -> None:
        self.bases, self.cpv, self.today = bases, cpv, today
        words = {w for n in bases for w in f"{n.title} {n.description or ''}".split()}
        self.words = sorted(w.strip(".,;:()«»\"'") for w in words if len(w) > 3 and w.isalpha())

    def _start(self, i: int) -> tuple[random.Random, Notice]:
        rng = random.Random(SEED * 10_000_019 + i)
        return rng, rng.choice(self.bases)

    def uid(self, i: int) -> str:
        return f"gen-{self._start(i)[1].source}:{i:07d}"

    def notice(self, i: int) -> Notice:
        rng, base = self._start(i)
        code, label = rng.choice(self.cpv)
        dep = rng.choice(DEPARTMENTS)
        where = Places(departments=[dep])
        deadline: date | datetime | None = None
        if rng.random() > 0.1:
            day = self.today + timedelta(days=rng.randint(-90, 240))
            if rng.random() < 0.5:
                deadline = day
            else:
                offset = timezone(timedelta(hours=rng.choice((1, 2))))
                deadline = datetime.combine(day, dtime(rng.choice((12, 16, 23)), 0), offset)
        extra = " ".join(rng.choices(self.words, k=12))
        description = (
            f"{base.description or ''} Lieu d'exécution : {department_name(dep)} ({dep}). {extra}"
        )
        lots = [
            lot.model_copy(update={"places": where, "cpv": [code, *lot.cpv[:1]]})
            for lot in base.lots
        ]
        notice = base.model_copy(
            update={
                "uid": f"gen-{base.source}:{i:07d}",
                "source": f"gen-{base.source}",
                "native_id": f"{i:07d}",
                "title": f"{label} — {base.title}"[:300],
                "description": description.strip(),
                "deadline": deadline,
                "published": self.today - timedelta(days=rng.randint(0, 120)),
                "places": where,
                "buyer": base.buyer.model_copy(update={"department": dep, "postcode": None}),
                "cpv": [code, *base.cpv[:1]],
                "lots": lots,
                "status": NoticeStatus.OPEN,
                "content_hash": "",
                "first_seen": None,
                "last_seen": None,
            }
        )
        return notice.with_hash()

    def notices(self, count: int) -> Iterator[Notice]:
        return (self.notice(i) for i in range(count))

    def vectors(self, start: int, n: int) -> np.ndarray:
        raw = np.random.default_rng([SEED, start]).standard_normal((n, DIM), dtype=np.float32)
        return raw / np.linalg.norm(raw, axis=1, keepdims=True)


class Timed:
    """An iterator that counts the seconds spent producing its items (excluded from measures)."""

    def __init__(self, items: Iterator[Any]) -> None:
        self.items, self.spent = items, 0.0

    def __iter__(self) -> Timed:
        return self

    def __next__(self) -> Any:
        started = time.perf_counter()
        try:
            return next(self.items)
        finally:
            self.spent += time.perf_counter() - started


@dataclass
class QuerySpec:
    text: str
    vector: np.ndarray
    filters: Filters


def query_specs(n: int, gen: Generator) -> list[QuerySpec]:
    """Filtered queries, fixed seed: every one has a filter (a few have only a département)."""
    rng = random.Random(SEED + 1)
    vectors = np.random.default_rng([SEED, 999_999_999]).standard_normal((n, DIM))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    kinds = [NoticeKind.TENDER, NoticeKind.FUNDING_CALL]
    specs = []
    for i in range(n):
        shape = i % 4
        f = Filters()
        if shape in (0, 1):  # département(s) + kind + deadline range
            f.departments = rng.sample(DEPARTMENTS, rng.randint(1, 3))
            f.kinds = [rng.choice(kinds)]
            f.deadline_from = gen.today
            f.deadline_to = gen.today + timedelta(days=rng.choice((30, 90, 180)))
        elif shape == 2:  # CPV prefix (division, group or class) + kind
            f.cpv_prefixes = [rng.choice(gen.cpv)[0][: rng.choice((2, 3, 4))]]
            f.kinds = [rng.choice(kinds)]
        else:  # région-sized: eight départements, deadline not passed
            f.departments = rng.sample(DEPARTMENTS, 8)
            f.deadline_from = gen.today
        specs.append(QuerySpec(rng.choice(QUERIES), vectors[i], f))
    return specs


# --------------------------------------------------------------------------- measures


@dataclass
class Rate:
    name: str
    docs: int
    seconds: float


@dataclass
class Latencies:
    store: str
    ms: dict[str, list[float]] = field(default_factory=dict)
    hits: dict[str, list[int]] = field(default_factory=dict)
    top: dict[str, list[list[str]]] = field(default_factory=dict)


def write_store(name: str, store: NoticeStore, gen: Generator, count: int) -> Rate:
    feed = Timed(gen.notices(count))
    started = time.perf_counter()
    report = store.write(feed)
    seconds = time.perf_counter() - started - feed.spent
    if len(report.created) != count:
        raise SystemExit(f"{name}: {report.summary()}, first failures {report.failed[:3]}")
    return Rate(name, count, seconds)


def vector_batches(gen: Generator, count: int) -> Iterator[dict[str, np.ndarray]]:
    for start in range(0, count, VECTOR_BATCH):
        n = min(VECTOR_BATCH, count - start)
        vecs = gen.vectors(start, n)
        yield {gen.uid(start + j): vecs[j] for j in range(n)}


def attach_vectors(
    name: str, store: NoticeStore, gen: Generator, count: int, first: int
) -> tuple[Rate, Rate]:
    """set_vectors over every notice; also the rate over the first `first` (the baseline's)."""
    seconds = first_seconds = 0.0
    done = 0
    for batch in vector_batches(gen, count):
        started = time.perf_counter()
        store.set_vectors(batch, MODEL)
        seconds += time.perf_counter() - started
        done += len(batch)
        if done <= first:
            first_seconds = seconds
    return Rate(name, count, seconds), Rate(f"{name} (first {first})", first, first_seconds)


def bare_bulk(
    url: str, analyzer: str, gen: Generator, count: int, chunk: int, first: int
) -> list[Rate]:
    """The baseline: the same documents through helpers.bulk into a fresh, identical index,
    then partial updates carrying the vectors of the first `first` notices."""
    from elasticsearch import Elasticsearch, helpers

    es = Elasticsearch(url, request_timeout=120)
    index = f"bench-bare-{uuid.uuid4().hex[:8]}"
    warm = f"{index}-warmup"  # a throwaway index first: JIT and caches warm for everyone
    try:
        es.indices.create(index=warm, **index_body(analyzer, DIM))
        warmup = ({"_id": n.uid, "_source": to_document(n)} for n in gen.notices(min(count, 2000)))
        helpers.bulk(es, warmup, index=warm, chunk_size=chunk)
        es.indices.delete(index=warm)
        es.indices.create(index=index, **index_body(analyzer, DIM))
        feed = Timed(gen.notices(count))
        actions = ({"_id": n.uid, "_source": to_document(n)} for n in feed)
        started = time.perf_counter()
        ok, _ = helpers.bulk(es, actions, index=index, chunk_size=chunk)
        es.indices.refresh(index=index)
        docs = Rate("bare helpers.bulk", ok, time.perf_counter() - started - feed.spent)

        items = Timed(item for b in vector_batches(gen, first) for item in b.items())
        updates = (
            {
                "_op_type": "update",
                "_id": uid,
                "doc": {"search": {"vector": vec.tolist(), "vector_model": MODEL}},
            }
            for uid, vec in items
        )
        started = time.perf_counter()
        ok, _ = helpers.bulk(es, updates, index=index, chunk_size=chunk)
        es.indices.refresh(index=index)
        seconds = time.perf_counter() - started - items.spent
        vectors = Rate(f"bare helpers.bulk (first {first})", ok, seconds)
    finally:
        es.indices.delete(index=f"{index},{warm}", ignore_unavailable=True)
        es.close()
    return [docs, vectors]


def run_queries(name: str, store: NoticeStore, specs: list[QuerySpec]) -> Latencies:
    out = Latencies(name)
    calls: dict[str, Callable[[QuerySpec], Any]] = {
        "text": lambda s: store.search_text(s.text, s.filters, limit=LIMIT),
        "vector": lambda s: store.search_vector(s.vector, s.filters, limit=LIMIT),
        "hybrid": lambda s: store.search_hybrid(s.text, s.vector, s.filters, limit=LIMIT),
    }
    for kind, call in calls.items():
        for spec in specs[:10]:  # warm-up: caches, JIT, the embedded store's vector matrix
            call(spec)
        ms, hits, top = [], [], []
        for spec in specs:
            started = time.perf_counter()
            result = call(spec)
            ms.append((time.perf_counter() - started) * 1000)
            hits.append(len(result.hits))
            top.append(result.uids())
        out.ms[kind], out.hits[kind], out.top[kind] = ms, hits, top
    return out


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


# --------------------------------------------------------------------------- node and report


def es_node(explicit: str | None) -> tuple[str, Callable[[], None] | None]:
    """The URL to use, and how to stop the node when this run started it."""
    if explicit or os.environ.get("VEILLEUSE_TEST_ES_URL"):
        return explicit or os.environ["VEILLEUSE_TEST_ES_URL"], None
    status = subprocess.run(["bash", str(ES_SCRIPT), "status"], capture_output=True, text=True)
    if status.returncode == 0:  # someone else's node: use it, never stop it
        return status.stdout.strip().splitlines()[-1], None
    state = tempfile.mkdtemp(prefix="veilleuse-bench-es-")
    env = {**os.environ, "VEILLEUSE_ES_STATE": state}
    started = subprocess.run(
        ["bash", str(ES_SCRIPT), "start"], env=env, capture_output=True, text=True
    )
    if started.returncode != 0:
        shutil.rmtree(state, ignore_errors=True)
        raise SystemExit(f"could not start Elasticsearch:\n{started.stderr}")

    def stop() -> None:
        subprocess.run(["bash", str(ES_SCRIPT), "stop"], env=env, capture_output=True)
        shutil.rmtree(state, ignore_errors=True)

    return started.stdout.strip().splitlines()[-1], stop


def print_rates(title: str, rates: list[Rate], bare: Rate) -> None:
    print(f"\n{title}")
    print(f"{'system':<46}{'docs':>9}{'seconds':>10}{'docs/s':>10}{'vs bare':>9}")
    for r in rates:
        ratio = (r.docs / r.seconds) / (bare.docs / bare.seconds)
        print(f"{r.name:<46}{r.docs:>9}{r.seconds:>10.1f}{r.docs / r.seconds:>10.0f}{ratio:>9.2f}")


def print_latencies(runs: list[Latencies], n: int) -> None:
    print(f"\nSearch latency ({n} filtered queries per type, limit {LIMIT})")
    print(f"{'store':<16}{'query':<8}{'p50 ms':>9}{'p95 ms':>9}{'mean ms':>9}{'mean hits':>11}")
    for run in runs:
        for kind, ms in run.ms.items():
            mean_hits = statistics.mean(run.hits[kind])
            print(
                f"{run.store:<16}{kind:<8}{percentile(ms, 50):>9.1f}{percentile(ms, 95):>9.1f}"
                f"{statistics.mean(ms):>9.1f}{mean_hits:>11.1f}"
            )


def recall(exact: list[list[str]], approx: list[list[str]]) -> float:
    pairs = [(set(e), set(a)) for e, a in zip(exact, approx, strict=True) if e]
    return statistics.mean(len(e & a) / len(e) for e, a in pairs) if pairs else float("nan")


def progress(began: float, what: str, *rates: Rate) -> None:
    done = ", ".join(f"{r.name} {r.docs / r.seconds:.0f} docs/s" for r in rates)
    print(f"[{time.perf_counter() - began:5.0f} s] {what}{': ' if done else ''}{done}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=100_000, help="generated notices")
    parser.add_argument("--es-url", default=None, help="default: VEILLEUSE_TEST_ES_URL or a node")
    parser.add_argument("--queries", type=int, default=200, help="queries per type and store")
    parser.add_argument("--chunk-size", type=int, default=StoreSettings().bulk_chunk_size)
    parser.add_argument(
        "--vector-baseline",
        type=int,
        default=10_000,
        help="notices whose vectors the bare baseline attaches (vector updates are slow)",
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up indices and node
    from veilleuse.search.elasticsearch_store import ElasticsearchStore

    count = args.count
    first = min(count, -(-args.vector_baseline // VECTOR_BATCH) * VECTOR_BATCH)
    analyzer = os.environ.get("VEILLEUSE_STORE__TEXT_ANALYZER", "standard")
    gen = Generator(load_bases(), load_cpv(), datetime.now(UTC).date())
    specs = query_specs(args.queries, gen)
    url, stop = es_node(args.es_url)
    began = time.perf_counter()
    print(
        f"{count} notices generated from {len(gen.bases)} real ones; Elasticsearch {url} "
        f"(analyzer {analyzer}); bulk chunk {args.chunk_size}; vectors random unit, dim {DIM}, "
        f"seed {SEED}; {os.cpu_count()} CPUs",
        flush=True,
    )
    try:
        with tempfile.TemporaryDirectory(prefix="veilleuse-bench-") as tmp:
            embedded = EmbeddedStore(Path(tmp) / "notices.sqlite3")
            emb_docs = write_store("EmbeddedStore.write", embedded, gen, count)
            emb_vecs, _ = attach_vectors("EmbeddedStore.set_vectors", embedded, gen, count, first)
            progress(began, "embedded store loaded", emb_docs, emb_vecs)
            emb_lat = run_queries("embedded", embedded, specs)
            progress(began, "embedded store queried")
            embedded.close()
        bare_docs, bare_vecs = bare_bulk(url, analyzer, gen, count, args.chunk_size, first)
        progress(began, "bare baseline", bare_docs, bare_vecs)
        settings = StoreSettings(url=url, text_analyzer=analyzer, bulk_chunk_size=args.chunk_size)
        es = ElasticsearchStore(
            settings, index_alias=f"bench-{uuid.uuid4().hex[:8]}", dimension=DIM
        )
        try:
            es.ensure_index()
            es_docs = write_store("ElasticsearchStore.write", es, gen, count)
            progress(began, "Elasticsearch store written", es_docs)
            es_vecs, es_first = attach_vectors(
                "ElasticsearchStore.set_vectors", es, gen, count, first
            )
            progress(began, "Elasticsearch store vectors", es_first, es_vecs)
            es_lat = run_queries("elasticsearch", es, specs)
            progress(began, "Elasticsearch store queried")
        finally:
            es.drop()
            es.close()
    finally:
        if stop:
            stop()
    print_rates(
        "Bulk indexing of notices (ratio = docs/s over the bare helpers.bulk)",
        [bare_docs, es_docs, emb_docs],
        bare_docs,
    )
    print_rates(
        f"Attaching vectors (set_vectors batches of {VECTOR_BATCH}; ratio over the bare updates)",
        [bare_vecs, es_first, es_vecs, emb_vecs],
        bare_vecs,
    )
    print_latencies([emb_lat, es_lat], len(specs))
    exact = recall(emb_lat.top["vector"], es_lat.top["vector"])
    print(f"\nElasticsearch kNN recall@{LIMIT} against the exact top {LIMIT}: {exact:.3f}")
    print(f"total wall time {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
