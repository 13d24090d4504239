"""Matching throughput: `match()` on 20,000 notices × 5,000 actors against a naive per-pair loop.

All data is GENERATED from the bundled samples and demo profiles: each generated notice is a
recorded tender/PIN/funding call with a new uid (`gen:<n>`), a few words of another notice
added to its title, a random département (or none: national) and its CPV codes moved to a
sibling code of the same group; each generated actor (`gen-actor-<n>`) is a demo profile moved
to one to three random départements (centroid coordinates, its radius kept) with one CPV
interest moved the same way. Embeddings are random unit vectors (the model is not the point):
an actor's vector leans towards one random notice so that the semantic component is not flat.
Every notice is treated as open (`today` before every deadline).

The baseline is the obvious implementation: for every pair, the exact scoring of one pair
(`matching._evaluate`, the same code `match` uses for its survivors), then per actor the best
`top_k`. It runs on a sample (`--sample` notices × actors) in the same process, and `match` runs
on that sample too, to check both keep the same pairs and to compare like with like.

Wall time with `time.perf_counter`. Memory: for the full run, the growth of the resident set's
high-water mark (`resource.getrusage`) over the process size before it (NumPy buffers included);
for the small sample runs, whose peak stays under the generation's, the tracemalloc peak of an
untimed rerun (tracemalloc would slow the timed runs).

    .venv/bin/python bench/bench_matching.py            # 20,000 × 5,000, sample 200 × 200
    .venv/bin/python bench/bench_matching.py --notices 2000 --actors 500
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import time
import tracemalloc
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from veilleuse.config.settings import MatchingSettings
from veilleuse.core import geo
from veilleuse.core.actors_io import demo_actors_path, load_actors
from veilleuse.core.models import Actor, CpvInterest, Match, Notice, Places, Territory
from veilleuse.matching import matching
from veilleuse.matching.cpv import cpv_label
from veilleuse.matching.lexical import Lexicon, notice_words, stems
from veilleuse.matching.matching import MATCHABLE, MatchInputs, match
from veilleuse.spiders.recorded import collect_recorded

TODAY = date(2000, 1, 1)
DIMENSION = 384
SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
DEPARTMENTS = [f"{i:02d}" for i in range(1, 96) if i != 20] + ["2A", "2B"]


# --------------------------------------------------------------------------- generated data


def _sibling(code: str, rng: random.Random) -> str:
    """A CPV code of the same group (first 5 digits) that has a label, else the code itself."""
    for _ in range(8):
        candidate = code[:5] + "".join(rng.choice("0123") for _ in range(3))
        if cpv_label(candidate):
            return candidate
    return code


def generate_notices(count: int, rng: random.Random) -> list[Notice]:
    base = [n for b in collect_recorded(SAMPLES).values() for n in b.notices if n.kind in MATCHABLE]
    words = [w for n in base for w in n.title.split() if len(w) > 4]
    out = []
    for i in range(count):
        seed = base[i % len(base)]
        deps = [] if rng.random() < 0.2 else [rng.choice(DEPARTMENTS)]
        out.append(
            seed.model_copy(
                update={
                    "uid": f"gen:{i}",
                    "native_id": str(i),
                    "title": f"{seed.title} {' '.join(rng.sample(words, 3))}",
                    "cpv": [_sibling(c, rng) for c in seed.cpv],
                    "places": Places(departments=deps),
                    "deadline": None,
                }
            )
        )
    return out


def generate_actors(count: int, rng: random.Random) -> list[Actor]:
    base = load_actors(demo_actors_path())
    out = []
    for i in range(count):
        seed = base[i % len(base)]
        deps = rng.sample(DEPARTMENTS, rng.randint(1, 3))
        centre = geo.department_centroid(deps[0]) or (46.5, 2.5)
        codes = [c.code for c in seed.cpv_interests]
        if codes:
            j = rng.randrange(len(codes))
            codes[j] = _sibling(codes[j], rng)
        territory = Territory(
            departments=deps,
            latitude=centre[0],
            longitude=centre[1],
            radius_km=seed.territory.radius_km,
        )
        out.append(
            seed.model_copy(
                update={
                    "id": f"gen-actor-{i}",
                    "cpv_interests": [CpvInterest(code=c) for c in codes],
                    "territory": territory,
                }
            )
        )
    return out


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def generate_inputs(actors: list[Actor], notices: list[Notice], rng: random.Random) -> MatchInputs:
    nrng = np.random.default_rng(rng.randrange(1 << 30))
    notice_vectors = _unit(nrng.standard_normal((len(notices), DIMENSION)))
    leaning = notice_vectors[nrng.integers(0, len(notices), len(actors))]
    actor_vectors = _unit(leaning + 1.2 * _unit(nrng.standard_normal((len(actors), DIMENSION))))
    lot_vectors = {
        n.uid: _unit(notice_vectors[j] + 0.5 * nrng.standard_normal((len(n.lots), DIMENSION)))
        for j, n in enumerate(notices)
        if len(n.lots) >= 2
    }
    return MatchInputs(actors, notices, actor_vectors, notice_vectors, lot_vectors)


# --------------------------------------------------------------------------- the two systems


def naive_match(inputs: MatchInputs, weights: MatchingSettings, today: date) -> list[Match]:
    """Every pair scored on its own in Python, then the best `top_k` per actor."""
    texts = [notice_words(n) for n in inputs.notices]
    lexicon = Lexicon.from_texts(texts)
    out: list[Match] = []
    for a in range(len(inputs.actors)):
        found = []
        for n, notice in enumerate(inputs.notices):
            if not matching.is_open(notice, today):
                continue
            theirs = stems(texts[n])
            m = matching._evaluate(inputs, a, n, weights, lexicon, theirs, today, weights.min_topic)
            if m is not None:
                found.append(m)
        found.sort(key=lambda m: -m.score)
        out.extend(found[: weights.top_k])
    return out


def _rss_kb() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() // 1024


def measure(run: Callable[[], list[Match]]) -> tuple[list[Match], float, int]:
    """(result, seconds, growth of the resident set's high-water mark over the size before, MiB).

    Only meaningful when the run's peak exceeds every earlier one (true of the full run)."""
    gc.collect()
    before = _rss_kb()
    started = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return result, seconds, max(0, peak - before) // 1024


def traced_peak(run: Callable[[], list[Match]]) -> int:
    """Peak of Python and NumPy allocations during a second, untimed run (MiB; tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return -(-peak // 2**20)


def _subset(inputs: MatchInputs, actors: int, notices: int) -> MatchInputs:
    kept = inputs.notices[:notices]
    lots = {n.uid: inputs.lot_vectors[n.uid] for n in kept if n.uid in inputs.lot_vectors}
    return MatchInputs(
        inputs.actors[:actors],
        kept,
        inputs.actor_vectors[:actors],
        inputs.notice_vectors[:notices],
        lots,
    )


def _pairs(found: Sequence[Match]) -> set[tuple[str, str, float]]:
    return {(m.actor_id, m.notice_uid, m.score) for m in found}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notices", type=int, default=20_000)
    parser.add_argument("--actors", type=int, default=5_000)
    parser.add_argument(
        "--sample", type=int, default=200, help="notices and actors of the naive run"
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    weights = MatchingSettings()

    started = time.perf_counter()
    notices = generate_notices(args.notices, rng)
    actors = generate_actors(args.actors, rng)
    inputs = generate_inputs(actors, notices, rng)
    print(
        f"generated {len(actors)} actors × {len(notices)} notices "
        f"({sum(len(v) for v in inputs.lot_vectors.values())} lot vectors) "
        f"in {time.perf_counter() - started:.1f} s"
    )

    sample = _subset(inputs, args.sample, args.sample)
    naive, naive_s, _ = measure(lambda: naive_match(sample, weights, TODAY))
    small, small_s, _ = measure(lambda: match(sample, weights, today=TODAY))
    naive_mb = traced_peak(lambda: naive_match(sample, weights, TODAY))
    small_mb = traced_peak(lambda: match(sample, weights, today=TODAY))
    agree = _pairs(naive) == _pairs(small)
    full, full_s, full_mb = measure(lambda: match(inputs, weights, today=TODAY))

    rows: list[tuple[str, int, int, float, int, int]] = [
        ("naive loop", args.sample, args.sample, naive_s, naive_mb, len(naive)),
        ("match()", args.sample, args.sample, small_s, small_mb, len(small)),
        ("match()", len(actors), len(notices), full_s, full_mb, len(full)),
    ]
    naive_rate = args.sample * args.sample / naive_s
    header = f"{'system':<12}{'actors':>8}{'notices':>9}{'seconds':>10}{'pairs/s':>14}"
    print(header + f"{'× naive':>10}{'peak MiB':>10}{'matches':>9}")
    for name, a_n, n_n, seconds, mib, kept in rows:
        rate = a_n * n_n / seconds
        print(
            f"{name:<12}{a_n:>8}{n_n:>9}{seconds:>10.2f}{rate:>14,.0f}"
            f"{rate / naive_rate:>10.1f}{mib:>10}{kept:>9}"
        )
    print(
        "peak MiB: sample rows = tracemalloc peak of an untimed rerun; full row = growth of the "
        "resident set's high-water mark during the run"
    )
    print(f"same matches as the naive loop on the sample: {'yes' if agree else 'NO'}")
    print(f"process peak resident set: {_peak_mib()} MiB")


def _peak_mib() -> Any:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


if __name__ == "__main__":
    main()
