"""Matching by blocks of actors in forked workers gives the matches of one process."""

from __future__ import annotations

import gc
import os
from datetime import date
from pathlib import Path

import pytest
from fakes import HashEmbedder

from veilleuse.config.settings import MatchingSettings
from veilleuse.core.actors_io import demo_actors_path, load_actors
from veilleuse.core.models import Notice
from veilleuse.matching import workers
from veilleuse.matching.matching import MATCHABLE, match, prepare_inputs
from veilleuse.spiders.recorded import collect_recorded

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
TODAY = date(2000, 1, 1)  # every recorded notice is still open


@pytest.fixture(scope="module")
def real_inputs():  # type: ignore[no-untyped-def]
    notices: list[Notice] = [
        n for b in collect_recorded(SAMPLES).values() for n in b.notices if n.kind in MATCHABLE
    ]
    actors = load_actors(demo_actors_path())
    return prepare_inputs(actors, notices, HashEmbedder())


def _dump(found):  # type: ignore[no-untyped-def]
    return [m.model_dump(mode="json") for m in found]


def test_actor_spans_cover_every_actor_once_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers, "PARALLEL_PAIRS", 0)
    for actors, count in [(1, 4), (7, 3), (100, 2), (5, 5)]:
        spans = workers.actor_spans(actors, 10, count)
        rows = [r for start, stop in spans for r in range(start, stop)]
        assert rows == list(range(actors))
        assert len(spans) == min(actors, count)


def test_small_runs_stay_in_one_process() -> None:
    assert workers.actor_spans(40, 300, 8) == [(0, 40)]


def test_worker_count_zero_means_the_cores_this_process_may_use() -> None:
    assert workers.worker_count(3) == 3
    assert workers.worker_count(0) == len(os.sched_getaffinity(0))


@pytest.mark.parametrize("count", [2, 3])
def test_forked_workers_give_the_matches_of_one_process(
    real_inputs, monkeypatch: pytest.MonkeyPatch, count: int
) -> None:  # type: ignore[no-untyped-def]
    one = match(real_inputs, MatchingSettings(), today=TODAY)
    ranking = MatchingSettings(min_score=0, top_k=20)
    one_ranking = match(real_inputs, ranking, today=TODAY, min_topic=0.0)
    monkeypatch.setattr(workers, "PARALLEL_PAIRS", 0)
    forked: list[int] = []
    real_run = workers.run_spans

    def counting(work, spans, finish):  # type: ignore[no-untyped-def]
        forked.append(len(spans))
        return real_run(work, spans, finish)

    monkeypatch.setattr("veilleuse.matching.matching.run_spans", counting)
    many = match(real_inputs, MatchingSettings(), today=TODAY, workers=count)
    many_ranking = match(real_inputs, ranking, today=TODAY, min_topic=0.0, workers=count)
    assert forked == [count, count]
    assert one and _dump(many) == _dump(one)
    assert _dump(many_ranking) == _dump(one_ranking)


def test_a_worker_that_dies_has_its_block_run_here() -> None:
    parent = os.getpid()

    def work(start: int, stop: int) -> list[dict[str, int]]:
        if os.getpid() != parent:
            os._exit(1)  # a worker killed mid-block
        return [{"row": r} for r in range(start, stop)]

    parts = workers.run_spans(work, [(0, 2), (2, 5)], lambda rows: [r["row"] for r in rows])
    assert parts == [[0, 1], [2, 3, 4]]


def test_the_garbage_collector_is_restored_as_it_was() -> None:
    assert gc.isenabled()
    with workers.paused_gc():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with workers.paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
