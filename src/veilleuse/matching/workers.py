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
import marshal
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any, TypeVar

from threadpoolctl import threadpool_limits

log = logging.getLogger(__name__)

#: Below this many actor × notice pairs, a run stays in one process (forking costs ~50 ms).
PARALLEL_PAIRS = 4_000_000

Fields = list[dict[str, Any]]
T = TypeVar("T")
Work = Callable[[int, int], Fields]

_WORK: Work | None = None  # what forked workers run, set just before they are forked


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection inside the block (restored after, as it was).

    What the block allocated is then moved to the oldest generation (freeze, unfreeze) rather
    than traversed by the first young collection after it: that one pass over every object of
    a large run cost 0.7 s of 5 at 1,500 × 4,000. Cycles it made wait for a full collection."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.unfreeze()
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
    enough to be worth it, else one block. The first block, run by the parent, is made 5 %
    larger than the others: a worker's block costs more (its pages are copied as it touches
    the shared inputs, its results travel back), measured at 5,000 × 20,000 on 2 cores."""
    count = min(workers, actors) if actors * notices >= PARALLEL_PAIRS else 1
    count = max(1, count)
    shares = [1.05 if i == 0 and count > 1 else 1.0 for i in range(count)]
    edges = [0.0]
    for share in shares:
        edges.append(edges[-1] + share)
    bounds = [round(edge * actors / edges[-1]) for edge in edges]
    return [(bounds[i], bounds[i + 1]) for i in range(count) if bounds[i] < bounds[i + 1]]


def run_spans(work: Work, spans: list[tuple[int, int]], finish: Callable[[Fields], T]) -> list[T]:
    """`finish(work(start, stop))` for every span, in span order: the first span's work here,
    the others' in forked workers (one BLAS thread each: the processes share the cores); every
    `finish` here, the first while the workers still run."""
    if len(spans) <= 1:
        return [finish(work(*span)) for span in spans]
    global _WORK
    _WORK = work
    try:
        context = multiprocessing.get_context("fork")
        with (
            threadpool_limits(limits=1),
            ProcessPoolExecutor(max_workers=len(spans) - 1, mp_context=context) as pool,
        ):
            futures = [pool.submit(_run, *span) for span in spans[1:]]
            done = [finish(work(*spans[0]))]
            for span, future in zip(spans[1:], futures, strict=True):
                try:
                    sent = future.result()
                    fields = marshal.loads(sent) if isinstance(sent, bytes) else sent
                except BrokenProcessPool:
                    log.warning("matching worker for actors %d..%d died: run here", *span)
                    fields = work(*span)
                done.append(finish(fields))
        return done
    finally:
        _WORK = None


def _run(start: int, stop: int) -> bytes | Fields:
    """In a forked worker: the block of actors start..stop of the run being done, sent back
    marshalled (four times faster to write than a pickle of the same fields, and the
    worker's writing is what the parent waits for); pickled if a field is not a plain type."""
    assert _WORK is not None, "set by run_spans before the fork"
    with threadpool_limits(limits=1):
        fields = _WORK(start, stop)
    try:
        return marshal.dumps(fields)
    except ValueError:
        return fields
