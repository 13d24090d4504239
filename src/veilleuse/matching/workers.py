"""Running the matcher over blocks of actors, in worker processes when the run is large.

Matching is independent per actor: each block of actors reads the same notices, vectors and word
rarity and yields its own matches, so blocks can run in parallel and their results, concatenated
in actor order, are those of one run over every actor. Workers are forked, so they share the
prepared inputs with the parent without copying them; each returns its matches as plain fields
(validated once, in the parent). A worker that dies makes its block run in the parent instead.

The garbage collector is paused while a run builds its matches: a run creates hundreds of
thousands of small objects, and each full collection scans every one of them together with every
notice held in memory, which doubled the time of a 5,000 × 20,000 run.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any

from threadpoolctl import threadpool_limits

log = logging.getLogger(__name__)

#: Below this many actor × notice pairs, a run stays in one process (forking costs ~50 ms).
PARALLEL_PAIRS = 4_000_000

Fields = list[dict[str, Any]]
Work = Callable[[int, int], Fields]

_WORK: Work | None = None  # what forked workers run, set just before they are forked


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection inside the block (restored after, as it was)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def worker_count(setting: int) -> int:
    """The processes a setting asks for: 0 means one per CPU core this process may use."""
    if setting > 0:
        return setting
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def actor_spans(actors: int, notices: int, workers: int) -> list[tuple[int, int]]:
    """Contiguous (start, stop) blocks of actor rows, one per worker when the run is large
    enough to be worth it, else one block."""
    count = min(workers, actors) if actors * notices >= PARALLEL_PAIRS else 1
    count = max(1, count)
    bounds = [round(i * actors / count) for i in range(count + 1)]
    return [(bounds[i], bounds[i + 1]) for i in range(count) if bounds[i] < bounds[i + 1]]


def run_spans(work: Work, spans: list[tuple[int, int]]) -> list[Fields]:
    """`work(start, stop)` for every span, in span order: the first in this process, the
    others in forked workers (with one BLAS thread each: the processes share the cores)."""
    if len(spans) <= 1:
        return [work(*span) for span in spans]
    global _WORK
    _WORK = work
    try:
        context = multiprocessing.get_context("fork")
        with (
            threadpool_limits(limits=1),
            ProcessPoolExecutor(max_workers=len(spans) - 1, mp_context=context) as pool,
        ):
            futures = [pool.submit(_run, *span) for span in spans[1:]]
            first = work(*spans[0])
            rest = []
            for span, future in zip(spans[1:], futures, strict=True):
                try:
                    rest.append(future.result())
                except BrokenProcessPool:
                    log.warning("matching worker for actors %d..%d died: run here", *span)
                    rest.append(work(*span))
        return [first, *rest]
    finally:
        _WORK = None


def _run(start: int, stop: int) -> Fields:
    """In a forked worker: the block of actors start..stop of the run being done."""
    assert _WORK is not None, "set by run_spans before the fork"
    with threadpool_limits(limits=1):
        return _WORK(start, stop)
