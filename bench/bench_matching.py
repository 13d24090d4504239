"""Matching throughput: the matcher against the previous one (`legacy_matching.py`, the
matcher as of commit b48ae22, frozen) on 5,000 actors × 20,000 notices, in the same run.

All data is GENERATED from the bundled samples and demo profiles: each generated notice is a
recorded tender/PIN/funding call with a new uid (`gen:<n>`), a few words of another notice
added to its title, a random département (or none: national) and its CPV codes moved to a
sibling code of the same group; each generated actor (`gen-actor-<n>`) is a demo profile moved
to one to three random départements (centroid coordinates, its radius kept) with one CPV
interest moved the same way. Embeddings are random unit vectors (the model is not the point):
an actor's vector leans towards one random notice so that the semantic component is not flat.
Every notice is treated as open (`today` before every deadline). Seeded: the same data each run.

Each system runs in its own subprocess (same generated data), which reports its wall time, its
CPU time (its forked workers' included) and its peak memory, sampled every second as the
proportional set size of the process and its workers (the data included; shared pages counted
once), and that of the run alone (its growth over the size before the run); the parent compares
their matches (every field: scores, components, lots, reasons) and prints the ratio. Three
systems: the previous matcher, `match()` in one process and `match(workers=<cores>)`.

Equality on real data too: the labelled evaluation set (`tests/eval/`, real notices) and the
recorded samples × demo profiles, embedded with the configured model (or `--embedder hash`, a
bag-of-words stand-in), through both matchers, at the default thresholds and with the
evaluation's ranking settings (min_score 0, no topic floor, top 20).

    .venv/bin/python bench/bench_matching.py            # 5,000 × 20,000
    .venv/bin/python bench/bench_matching.py --actors 1000 --notices 5000 --embedder hash
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from veilleuse.config.settings import MatchingSettings
from veilleuse.core import geo
from veilleuse.core.actors_io import demo_actors_path, load_actors
from veilleuse.core.models import Actor, CpvInterest, Match, Notice, Places, Territory
from veilleuse.core.normalise import fold
from veilleuse.matching.cpv import cpv_label
from veilleuse.matching.matching import MATCHABLE, MatchInputs, match, prepare_inputs
from veilleuse.matching.workers import worker_count
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


# --------------------------------------------------------------------------- the runs


def _worker(args: argparse.Namespace) -> None:
    """One system on the generated data, in this process: prints a JSON line."""
    import legacy_matching

    rng = random.Random(args.seed)
    notices = generate_notices(args.notices, rng)
    actors = generate_actors(args.actors, rng)
    inputs = generate_inputs(actors, notices, rng)
    gc.collect()
    before = _pss_kib()
    sampler = _PeakPss()
    cpu, started = time.process_time(), time.perf_counter()
    if args.worker == "old":
        found = legacy_matching.match(inputs, MatchingSettings(), today=TODAY)
    else:
        workers = 1 if args.worker == "new" else worker_count(0)
        found = match(inputs, MatchingSettings(), today=TODAY, workers=workers)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = sampler.stop()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # forked workers, once reaped
    cpu += children.ru_utime + children.ru_stime
    result = {
        "seconds": seconds,
        "cpu": cpu,
        "matches": len(found),
        "digest": _digest(found),
        "peak_mib": peak // 1024,
        "run_mib": max(0, peak - before) // 1024,
    }
    print(json.dumps(result))


class _PeakPss:
    """Samples, every second, the proportional set size (PSS) of this process plus its forked
    workers: pages they share are counted once, unlike the sum of their peak RSS. (Reading it
    costs the kernel ~20 ms for a 1.5 GB process: more often, it slowed the run it measured.)"""

    def __init__(self) -> None:
        self.peak = _pss_kib()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._done.wait(1.0):
            self.peak = max(self.peak, _pss_kib())

    def stop(self) -> int:
        self._done.set()
        self._thread.join()
        return max(self.peak, _pss_kib())


def _pss_kib(pid: int | None = None) -> int:
    """PSS of `pid` (default: this process and its children), KiB; 0 for a process gone."""
    if pid is None:
        return _pss_kib(os.getpid()) + sum(_pss_kib(c) for c in _children())
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
    except (OSError, StopIteration):
        return 0


def _children() -> list[int]:
    found = []
    for task in Path("/proc/self/task").iterdir():
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _digest(found: Sequence[Match]) -> str:
    blob = json.dumps([m.model_dump(mode="json") for m in found], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def _spawn(args: argparse.Namespace, system: str) -> dict[str, Any]:
    command = [sys.executable, __file__, "--worker", system, "--seed", str(args.seed)]
    command += ["--actors", str(args.actors), "--notices", str(args.notices)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def real_data_check(embedder_name: str) -> list[tuple[str, int, bool]]:
    """(case, matches, same) for both matchers on the real labelled set and samples."""
    import legacy_matching

    from veilleuse.app.evaluation import default_labelled_path, read_notices
    from veilleuse.matching.evaluation import DEPTH, load_labelled_set

    embedder = _embedder(embedder_name)
    path = default_labelled_path()
    assert path is not None, "tests/eval/labelled_set.yaml not found"
    labelled = load_labelled_set(path, read_notices)
    samples = [n for b in collect_recorded(SAMPLES).values() for n in b.notices]
    samples = [n for n in samples if n.kind in MATCHABLE]
    cases = [
        ("eval set", labelled.actors, labelled.notices, labelled.today),
        ("samples × demo", load_actors(demo_actors_path()), samples, TODAY),
    ]
    defaults = MatchingSettings()
    ranking = defaults.model_copy(update={"min_score": 0.0, "top_k": DEPTH})
    out = []
    for name, actors, notices, today in cases:
        inputs = prepare_inputs(actors, notices, embedder)
        for label, weights, floor in (("defaults", defaults, None), ("ranking", ranking, 0.0)):
            old = legacy_matching.match(inputs, weights, today=today, min_topic=floor)
            new = match(inputs, weights, today=today, min_topic=floor)
            out.append((f"{name}, {label}", len(new), _digest(old) == _digest(new)))
    return out


class HashEmbedder:
    """Folded words hashed into 64 dimensions: a deterministic, offline stand-in."""

    name = "hash-64"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), 64), np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z]{4,}", fold(text)):
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % 64] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)


def _embedder(name: str) -> Any:
    if name == "hash":
        return HashEmbedder()
    from veilleuse.config.settings import Settings
    from veilleuse.search.embeddings import make_embedder

    cache = Path(tempfile.mkdtemp(prefix="bench-matching-")) / "embeddings.sqlite3"
    return make_embedder(Settings().embedding, cache)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notices", type=int, default=20_000)
    parser.add_argument("--actors", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--embedder", choices=["model", "hash"], default="model")
    parser.add_argument("--no-old", action="store_true", help="skip the previous matcher")
    parser.add_argument("--worker", choices=["old", "new", "parallel"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args)
        return
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    for case, count, same in real_data_check(args.embedder):
        print(f"real data, {case}: {count} matches, same as previous matcher: {same}")
    systems = ["new", "parallel"] if args.no_old else ["old", "new", "parallel"]
    results = {system: _spawn(args, system) for system in systems}
    print(f"{args.actors} actors × {args.notices} generated notices (seed {args.seed})")
    print(f"{'system':<22}{'wall s':>9}{'cpu s':>9}{'matches':>9}{'peak MiB':>10}{'run MiB':>9}")
    for system, r in results.items():
        name = {"old": "previous (legacy)", "new": "match()", "parallel": "match(workers=cores)"}
        name = name[system]
        print(
            f"{name:<22}{r['seconds']:>9.1f}{r['cpu']:>9.1f}{r['matches']:>9}"
            f"{r['peak_mib']:>10}{r['run_mib']:>9}"
        )
    if "old" in results:
        old = results["old"]
        for system in ("new", "parallel"):
            new = results[system]
            print(f"{system}: speed-up {old['seconds'] / new['seconds']:.1f}× wall, ", end="")
            print(f"{old['cpu'] / new['cpu']:.1f}× CPU; same matches (every field): ", end="")
            print("yes" if old["digest"] == new["digest"] else "NO")
    if results["new"]["digest"] != results["parallel"]["digest"]:
        print("parallel run: matches DIFFER from the one-process run")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
