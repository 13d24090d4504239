"""The search page's server time against the bare store query, in one run.

Two data sets, both in the embedded store:
- demo: a data folder where `veilleuse demo` ran (the bundled samples, their embeddings);
- generated: --count notices (default 100,000) made by bench_store's deterministic generator
  from the real samples, with random unit vectors under the shipped model's name.
For each data set and each mode (text, hybrid), --rounds rounds over the same queries (each with a
filter: départements, kind, deadline window or CPV prefix), alternating the two measures:
- bare: `store.search_text` / `store.search_hybrid` (limit 20, the query vector computed once
  before timing) plus `store.facets` — what the page needs from the store, nothing else;
- page: `GET /recherche?<query string>` through the app in-process (FastAPI TestClient, logged in
  as the demo watch officer): routing, session, parameter parsing, the query embedding (cached by
  text after the first round), the same store calls, facets and the French HTML.
Reported: p50 / p95 in milliseconds and the page/bare ratio of each. Nothing is written into the
repository: the data folders are temporary.

    .venv/bin/python bench/bench_web_search.py [--count 100000] [--rounds 5] [--queries 24]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import bench_store as gen_mod
import numpy as np
from fastapi.testclient import TestClient

from veilleuse.app.context import Context
from veilleuse.app.demo_accounts import DEMO_OFFICER, seed_demo
from veilleuse.app.search import SearchMode
from veilleuse.config.settings import Settings, get_settings
from veilleuse.search.store import Filters
from veilleuse.web.app import create_app

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 20
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def demo_folder(folder: Path) -> Settings:
    env = {**os.environ, "VEILLEUSE_DATA_DIR": str(folder)}
    env.pop("VEILLEUSE_STORE__URL", None)
    subprocess.run(
        [sys.executable, "-m", "veilleuse.cli", "demo"],
        env=env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return get_settings(data_dir=folder)


def generated_folder(folder: Path, count: int) -> Settings:
    settings = get_settings(data_dir=folder)
    gen = gen_mod.Generator(gen_mod.load_bases(), gen_mod.load_cpv(), date.today())
    with Context(settings) as ctx:
        store, name = ctx.store, ctx.embedder.name
        for start in range(0, count, 1000):
            batch = [gen.notice(i) for i in range(start, min(count, start + 1000))]
            store.write(batch)
            vectors = gen.vectors(start, len(batch))
            store.set_vectors({n.uid: v for n, v in zip(batch, vectors, strict=True)}, name)
        seed_demo(ctx)
    return settings


def query_strings(specs: list[gen_mod.QuerySpec], mode: SearchMode) -> list[tuple[str, Filters]]:
    out = []
    for spec in specs:
        f = spec.filters
        params: list[tuple[str, str]] = [("q", spec.text), ("mode", mode.value)]
        params += [("dep", d) for d in f.departments]
        params += [("kind", k.value) for k in f.kinds]
        params += [("cpv", c) for c in f.cpv_prefixes]
        if f.deadline_from:
            params.append(("deadline_from", str(f.deadline_from)))
        if f.deadline_to:
            params.append(("deadline_to", str(f.deadline_to)))
        out.append((urlencode(params), f))
    return out


def logged_in(settings: Settings) -> TestClient:
    client = TestClient(create_app(settings))
    client.__enter__()
    token = CSRF.search(client.get("/connexion").text)
    assert token, "no CSRF token on the login page"
    answer = client.post(
        "/connexion",
        data={
            "email": DEMO_OFFICER,
            "password": settings.web.demo_password,
            "csrf_token": token.group(1),
            "suivant": "/recherche",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text[:300]
    return client


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed_ms(call: Callable[..., object], *args: object) -> float:
    started = time.perf_counter()
    call(*args)
    return (time.perf_counter() - started) * 1000


def bare_query(
    ctx: Context, mode: SearchMode, text: str, vector: np.ndarray, filters: Filters
) -> None:
    """What the page asks of the store: one ranked page of hits and the facet counts."""
    if mode is SearchMode.TEXT:
        ctx.store.search_text(text, filters, limit=LIMIT)
    else:
        ctx.store.search_hybrid(text, vector, filters, limit=LIMIT)
    ctx.store.facets(filters, text)


def page_query(client: TestClient, qs: str) -> None:
    answer = client.get(f"/recherche?{qs}")
    assert answer.status_code == 200, answer.text[:300]


def measure(label: str, settings: Settings, specs: list[gen_mod.QuerySpec], rounds: int) -> None:
    client = logged_in(settings)
    ctx: Context = client.app.state.ctx  # type: ignore[attr-defined]
    vectors = {spec.text: ctx.embedder.encode([spec.text])[0] for spec in specs}
    for mode in (SearchMode.TEXT, SearchMode.HYBRID):
        cases = query_strings(specs, mode)
        for qs, _ in cases:  # warm-up: caches, the embedder, the first connection
            page_query(client, qs)
        bare: list[float] = []
        page: list[float] = []
        for _ in range(rounds):
            for spec, (qs, filters) in zip(specs, cases, strict=True):
                bare.append(timed_ms(bare_query, ctx, mode, spec.text, vectors[spec.text], filters))
                page.append(timed_ms(page_query, client, qs))
        b50, b95 = statistics.median(bare), percentile(bare, 0.95)
        p50, p95 = statistics.median(page), percentile(page, 0.95)
        print(
            f"{label:<24} {mode.value:<7} bare p50 {b50:7.1f} p95 {b95:7.1f} ms | "
            f"page p50 {p50:7.1f} p95 {p95:7.1f} ms | ratio p50 {p50 / b50:5.2f}x "
            f"p95 {p95 / b95:5.2f}x"
        )
    client.__exit__(None, None, None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--queries", type=int, default=24)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="veilleuse-bench-web-") as tmp:
        gen = gen_mod.Generator(gen_mod.load_bases(), gen_mod.load_cpv(), date.today())
        specs = gen_mod.query_specs(args.queries, gen)
        started = time.perf_counter()
        demo = demo_folder(Path(tmp) / "demo")
        print(f"demo data folder built in {time.perf_counter() - started:.0f} s")
        measure("demo (veilleuse demo)", demo, specs, args.rounds)
        started = time.perf_counter()
        generated = generated_folder(Path(tmp) / "generated", args.count)
        print(f"{args.count} generated notices stored in {time.perf_counter() - started:.0f} s")
        measure(f"generated ({args.count})", generated, specs, args.rounds)


if __name__ == "__main__":
    main()
