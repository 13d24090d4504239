"""The evaluation: metrics on hand-computed cases, the labelled set's shape, and the real run (slow)."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pytest
import yaml

from veilleuse.app.evaluation import read_notices
from veilleuse.config.settings import EmbeddingSettings, MatchingSettings
from veilleuse.core.errors import ValidationError
from veilleuse.matching.evaluation import (
    SYSTEMS,
    Metrics,
    evaluate,
    format_table,
    load_labelled_set,
    ndcg_at,
    precision_at,
    recall_at,
)
from veilleuse.search.embeddings import make_embedder

LABELLED = Path(__file__).parent / "labelled_set.yaml"


# --------------------------------------------------------------------------- metrics


def test_ndcg_of_a_perfect_and_an_inverted_ranking() -> None:
    assert ndcg_at(["a", "b", "x", "y"], {"a", "b"}, 10) == 1.0
    # relevant at ranks 3 and 4: (1/log2 4 + 1/log2 5) / (1 + 1/log2 3)
    expected = (0.5 + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert ndcg_at(["x", "y", "a", "b"], {"a", "b"}, 10) == pytest.approx(expected)
    assert ndcg_at(["x", "y", "a", "b"], {"a", "b"}, 10) == pytest.approx(0.5706, abs=1e-4)


def test_ndcg_ideal_is_capped_at_k_and_zero_without_relevant_items() -> None:
    # 3 relevant, k = 2: the ideal is two hits; one hit at rank 1 gives 1 / (1 + 1/log2 3)
    assert ndcg_at(["a", "x"], {"a", "b", "c"}, 2) == pytest.approx(1 / (1 + 1 / math.log2(3)))
    assert ndcg_at(["a"], set(), 10) == 0.0
    assert ndcg_at([], {"a"}, 10) == 0.0


def test_precision_counts_empty_slots_as_misses() -> None:
    assert precision_at(["a", "x", "b"], {"a", "b"}, 5) == pytest.approx(2 / 5)
    assert precision_at(["x", "a", "b", "c", "d", "e"], {"a", "b", "c", "d", "e"}, 5) == 0.8


def test_recall_reads_only_the_first_k() -> None:
    ranked = [f"n{i}" for i in range(25)]
    assert recall_at(ranked, {"n0", "n19", "n20", "n24"}, 20) == 0.5
    assert recall_at(ranked, set(), 20) == 0.0


def test_metrics_are_averaged_per_actor() -> None:
    one = Metrics.of(["a"], {"a"})
    none = Metrics.of(["x"], {"a"})
    assert one == Metrics(1.0, 0.2, 1.0)
    assert Metrics.mean([one, none]) == Metrics(0.5, 0.1, 0.5)
    assert list(one.as_dict()) == ["ndcg@10", "precision@5", "recall@20"]


# --------------------------------------------------------------------------- the labelled set


def test_labelled_set_is_large_enough_and_every_actor_has_two_relevant_notices() -> None:
    labelled = load_labelled_set(LABELLED, read_notices)
    assert len(labelled.actors) >= 25
    assert labelled.pairs >= 150
    assert sum(len(r) for r in labelled.relevant.values()) >= 60
    assert all(len(labelled.relevant[a.id]) >= 2 for a in labelled.actors)
    assert len(labelled.notices) == 100  # every tender, PIN and funding call of the corpus
    deadlines = [n.deadline for n in labelled.notices if n.deadline is not None]
    assert deadlines and all(labelled.today < date(d.year, d.month, d.day) for d in deadlines)


def test_a_label_naming_an_unknown_notice_or_actor_is_reported_with_the_file(
    tmp_path: Path,
) -> None:
    data = yaml.safe_load(LABELLED.read_text(encoding="utf-8"))
    data["labels"]["no-such-actor"] = [{"notice": "amisof", "relevant": True, "reason": "x"}]
    data["labels"]["adsi-arras"].append({"notice": "no-such-notice", "relevant": False})
    broken = tmp_path / "tests" / "eval" / "labelled_set.yaml"
    broken.parent.mkdir(parents=True)
    broken.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    for name in ("data", "src"):  # the set's paths are relative to the repository root
        (tmp_path / name).symlink_to(LABELLED.parents[2] / name)
    (broken.parent / "actors.yaml").symlink_to(LABELLED.parent / "actors.yaml")
    with pytest.raises(ValidationError) as caught:
        load_labelled_set(broken, read_notices)
    message = str(caught.value)
    assert f"{broken}: unknown actor 'no-such-actor'" in message
    assert f"{broken}: adsi-arras: unknown notice 'no-such-notice'" in message


# --------------------------------------------------------------------------- the real run


@pytest.mark.slow
def test_hybrid_beats_every_baseline_on_every_metric(tmp_path: Path) -> None:
    embedder = make_embedder(EmbeddingSettings(), tmp_path / "embeddings.sqlite")
    try:
        report = evaluate(load_labelled_set(LABELLED, read_notices), embedder, MatchingSettings())
    finally:
        embedder.close()
    assert list(report.systems) == list(SYSTEMS)
    hybrid = report.systems["hybrid"].as_dict()
    for name in ("cpv", "keyword", "embedding"):
        for metric, value in report.systems[name].as_dict().items():
            assert hybrid[metric] > value, (
                f"hybrid {metric} {hybrid[metric]:.3f} ≤ {name} {value:.3f}"
            )
    assert report.as_dict()["pairs"] == report.pairs >= 150
    assert "hybrid@defaults" in format_table(report)
