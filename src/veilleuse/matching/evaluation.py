"""How well does matching rank notices for an actor? Four systems measured on a labelled set.

`tests/eval/labelled_set.yaml` lists real sample files (the corpus), actor profiles, and pairs
labelled relevant / not relevant by hand; pairs not listed count as not relevant. For each actor
every system ranks the whole corpus and we average, over actors, binary nDCG@10, precision@5 and
recall@20:
- `cpv`: CPV closeness only (`search.cpv`); notices with no shared CPV domain are not ranked;
- `keyword`: rarity-weighted cosine of French word stems only (the matcher's `Lexicon`);
- `embedding`: cosine of the actor's and the notice's (or its best lot's) embeddings only;
- `hybrid`: the real `match()` score with all its eligibility filters (reservations, audiences,
  a funding call's territory, rejected pairs), judged on its ranking: its two relevance
  thresholds (`min_score` and the topic floor) are off and `top_k` is the ranking depth. What the
  default thresholds deliver to a digest is reported beside it (`hybrid@defaults`), because a
  threshold cannot be judged by ranking metrics: it only shortens the list.
Samples are years old, so every notice is treated as open: `match` runs with the set's `today`,
a day before every deadline.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from veilleuse.config.settings import MatchingSettings
from veilleuse.core.actors_io import load_actors
from veilleuse.core.embedder import Embedder
from veilleuse.core.errors import ValidationError
from veilleuse.core.models import Actor, Notice
from veilleuse.matching import cpv as cpvmod
from veilleuse.matching.lexical import Lexicon, actor_words, notice_words, stems
from veilleuse.matching.matching import MATCHABLE, MatchInputs, match, prepare_inputs

SYSTEMS = ("cpv", "keyword", "embedding", "hybrid")
DEPTH = 20  # the deepest cut-off any metric reads
METRICS = ("ndcg@10", "precision@5", "recall@20")

# --------------------------------------------------------------------------- metrics


def dcg_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """Binary discounted cumulative gain of the first `k` items (rank 1 counts fully)."""
    return sum(1.0 / math.log2(i + 2) for i, uid in enumerate(ranked[:k]) if uid in relevant)


def ndcg_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """DCG over the best possible DCG for this many relevant items; 0 when none is relevant."""
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg_at(ranked, relevant, k) / ideal if ideal else 0.0


def precision_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """Share of the first `k` slots holding a relevant item (a short list does not help)."""
    return sum(1 for uid in ranked[:k] if uid in relevant) / k


def recall_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """Share of the relevant items found in the first `k`; 0 when none is relevant."""
    return sum(1 for uid in ranked[:k] if uid in relevant) / len(relevant) if relevant else 0.0


@dataclass(frozen=True)
class Metrics:
    ndcg10: float
    precision5: float
    recall20: float

    def as_dict(self) -> dict[str, float]:
        return dict(zip(METRICS, (self.ndcg10, self.precision5, self.recall20), strict=True))

    @classmethod
    def of(cls, ranked: Sequence[str], relevant: set[str]) -> Metrics:
        return cls(
            ndcg_at(ranked, relevant, 10),
            precision_at(ranked, relevant, 5),
            recall_at(ranked, relevant, 20),
        )

    @classmethod
    def mean(cls, items: Sequence[Metrics]) -> Metrics:
        n = len(items) or 1
        return cls(
            sum(m.ndcg10 for m in items) / n,
            sum(m.precision5 for m in items) / n,
            sum(m.recall20 for m in items) / n,
        )


# --------------------------------------------------------------------------- the labelled set


@dataclass
class LabelledSet:
    """The corpus, the actors and, per actor, the uids labelled relevant."""

    today: date
    notices: list[Notice]
    actors: list[Actor]
    relevant: dict[str, set[str]]
    pairs: int  # explicitly labelled pairs, relevant or not


def load_labelled_set(path: Path, read_notices: Callable[[Path], Sequence[Notice]]) -> LabelledSet:
    """Read the corpus files with `read_notices` (the parsers live in `spiders`, handed in by
    the caller) and check every label names a known actor and a corpus notice."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    root = corpus_root(path, data["corpus"][0])
    notices: list[Notice] = []
    for name in data["corpus"]:
        notices += [n for n in read_notices(root / name) if n.kind in MATCHABLE]
    by_uid = {n.uid: n for n in notices}
    all_actors = {a.id: a for a in load_actors(root / data["actors"]["demo"])}
    all_actors |= {a.id: a for a in load_actors(root / data["actors"]["constructed"])}
    problems: list[str] = []
    relevant: dict[str, set[str]] = {}
    pairs = 0
    for actor_id, labels in data["labels"].items():
        if actor_id not in all_actors:
            problems.append(f"{path}: unknown actor {actor_id!r}")
        found = relevant.setdefault(actor_id, set())
        for label in labels:
            ref = data["notices"].get(label["notice"])
            if ref is None or ref["uid"] not in by_uid or ref["file"] not in data["corpus"]:
                problems.append(f"{path}: {actor_id}: unknown notice {label['notice']!r}")
                continue
            pairs += 1
            if label["relevant"]:
                found.add(ref["uid"])
    if problems:
        raise ValidationError("\n".join(problems))
    actors = [all_actors[a] for a in data["labels"]]
    return LabelledSet(data["today"], notices, actors, relevant, pairs)


def corpus_root(path: Path, first: str) -> Path:
    """The folder the set's paths are relative to: the nearest ancestor holding the corpus."""
    for parent in path.resolve().parents:
        if (parent / first).exists():
            return parent
    raise ValidationError(f"{path}: corpus file {first} not found above this file")


# --------------------------------------------------------------------------- the systems


def _top(scores: np.ndarray, uids: Sequence[str], floor: float | None) -> list[str]:
    """uids by decreasing score (ties in corpus order), dropping scores at or under `floor`."""
    order = np.lexsort((np.arange(len(scores)), -scores))
    return [uids[j] for j in order if floor is None or scores[j] > floor][:DEPTH]


def rank_cpv(inputs: MatchInputs) -> dict[str, list[str]]:
    codes = [n.all_cpv() for n in inputs.notices]
    close = cpvmod.closeness_matrix([a.cpv_codes() for a in inputs.actors], codes)
    return _rank_rows(inputs, close, floor=0.0)


def rank_keyword(inputs: MatchInputs) -> dict[str, list[str]]:
    texts = [notice_words(n) for n in inputs.notices]
    lexicon = Lexicon.from_texts(texts)
    own = [stems(actor_words(a)) for a in inputs.actors]
    cos = lexicon.cosine_matrix(own, [stems(t) for t in texts])
    return _rank_rows(inputs, cos, floor=0.0)


def rank_embedding(inputs: MatchInputs) -> dict[str, list[str]]:
    sem = inputs.actor_vectors @ inputs.notice_vectors.T
    for j, notice in enumerate(inputs.notices):  # a notice is as close as its closest lot
        lots = inputs.lot_vectors.get(notice.uid)
        if lots is not None and len(lots):
            sem[:, j] = np.maximum(sem[:, j], (inputs.actor_vectors @ lots.T).max(axis=1))
    return _rank_rows(inputs, sem, floor=None)


def rank_hybrid(
    inputs: MatchInputs, weights: MatchingSettings, today: date, *, thresholds: bool = False
) -> dict[str, list[str]]:
    """`match()` rankings; with `thresholds` the settings' own `min_score`, topic floor, `top_k`."""
    if thresholds:
        found = match(inputs, weights, today=today)
    else:
        ranking = weights.model_copy(update={"min_score": 0.0, "top_k": DEPTH})
        found = match(inputs, ranking, today=today, min_topic=0.0)
    out: dict[str, list[str]] = {a.id: [] for a in inputs.actors}
    for m in sorted(found, key=lambda m: -m.score):
        out[m.actor_id].append(m.notice_uid)
    return {actor_id: uids[:DEPTH] for actor_id, uids in out.items()}


def _rank_rows(inputs: MatchInputs, scores: Any, floor: float | None) -> dict[str, list[str]]:
    uids = [n.uid for n in inputs.notices]
    matrix = np.asarray(scores, dtype=np.float64)
    return {a.id: _top(matrix[i], uids, floor) for i, a in enumerate(inputs.actors)}


# --------------------------------------------------------------------------- the report


@dataclass
class EvalReport:
    systems: dict[str, Metrics]
    pairs: int
    actors: int
    notices: int
    relevant: int
    at_defaults: Metrics  # hybrid with the default thresholds: what digests would receive
    delivered: int  # matches kept at the default thresholds (all actors)
    delivered_relevant: int
    per_actor: dict[str, dict[str, Metrics]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: m.as_dict() for name, m in self.systems.items()}
        return out | {"pairs": self.pairs, "actors": self.actors}


def evaluate(labelled: LabelledSet, embedder: Embedder, settings: MatchingSettings) -> EvalReport:
    """Rank the corpus for every labelled actor with the four systems and average the metrics."""
    inputs = prepare_inputs(labelled.actors, labelled.notices, embedder)
    rankers: dict[str, Callable[[], dict[str, list[str]]]] = {
        "cpv": lambda: rank_cpv(inputs),
        "keyword": lambda: rank_keyword(inputs),
        "embedding": lambda: rank_embedding(inputs),
        "hybrid": lambda: rank_hybrid(inputs, settings, labelled.today),
    }
    per_actor: dict[str, dict[str, Metrics]] = {a.id: {} for a in labelled.actors}
    systems: dict[str, Metrics] = {}
    for name in SYSTEMS:
        ranked = rankers[name]()
        for actor_id, found in per_actor.items():
            found[name] = Metrics.of(ranked[actor_id], labelled.relevant[actor_id])
        systems[name] = Metrics.mean([found[name] for found in per_actor.values()])
    kept = match(inputs, settings, today=labelled.today)
    by_actor: dict[str, list[str]] = {a.id: [] for a in labelled.actors}
    for m in sorted(kept, key=lambda m: -m.score):
        by_actor[m.actor_id].append(m.notice_uid)
    at_defaults = Metrics.mean(
        [Metrics.of(uids, labelled.relevant[actor_id]) for actor_id, uids in by_actor.items()]
    )
    return EvalReport(
        systems,
        pairs=labelled.pairs,
        actors=len(labelled.actors),
        notices=len(labelled.notices),
        relevant=sum(len(r) for r in labelled.relevant.values()),
        at_defaults=at_defaults,
        delivered=len(kept),
        delivered_relevant=sum(1 for m in kept if m.notice_uid in labelled.relevant[m.actor_id]),
        per_actor=per_actor,
    )


def format_table(report: EvalReport) -> str:
    """A plain-text table: one row per system, one column per metric, best value starred."""
    best = {k: max(m.as_dict()[k] for m in report.systems.values()) for k in METRICS}
    lines = [f"{'system':<16}" + "".join(f"{k:>14}" for k in METRICS)]
    for name, metrics in report.systems.items():
        cells = [
            f"{v:>13.3f}" + ("*" if math.isclose(v, best[k]) else " ")
            for k, v in metrics.as_dict().items()
        ]
        lines.append(f"{name:<16}" + "".join(cells))
    cells = [f"{v:>13.3f} " for v in report.at_defaults.as_dict().values()]
    lines.append(f"{'hybrid@defaults':<16}" + "".join(cells))
    lines.append(
        f"{report.actors} actors × {report.notices} notices; {report.pairs} labelled pairs, "
        f"{report.relevant} relevant (unlabelled pairs count as not relevant)."
    )
    lines.append(
        f"hybrid ranks with min_score 0 and no topic floor; at the default thresholds it keeps "
        f"{report.delivered} matches, {report.delivered_relevant} of them relevant."
    )
    return "\n".join(lines)
