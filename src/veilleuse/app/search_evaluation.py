"""Search quality on labelled queries: text, vector and hybrid, on each store, as a watch officer
would type them (`tests/eval/search/README.md` says how the set was written).

Each store is filled with the same corpus (the real files of the matching set) in a temporary
place, every query runs in the three modes through `app.search.search` (the path the page, the
API and the CLI take), and binary nDCG@10, P@5 and R@20 are averaged over queries. Beside the
means: how often the two stores agree on the first five results, and how many results had
neither lexical nor semantic support above the floor (there should be none).
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from veilleuse.app.context import Context
from veilleuse.app.evaluation import default_labelled_path, read_notices
from veilleuse.app.search import SearchQuery, relevance_floor, search
from veilleuse.config.settings import Settings
from veilleuse.core.errors import ConfigError, ValidationError
from veilleuse.core.models import Notice
from veilleuse.core.search_mode import SearchMode
from veilleuse.matching.evaluation import corpus_root, ndcg_at, precision_at, recall_at
from veilleuse.matching.matching import MATCHABLE
from veilleuse.search.store import Hit, NoticeStore, RelevanceFloor

MODES = (SearchMode.TEXT, SearchMode.VECTOR, SearchMode.HYBRID)
DEPTH = 20


@dataclass(frozen=True)
class LabelledQuery:
    id: str
    kind: str
    text: str
    relevant: frozenset[str]


@dataclass
class QuerySet:
    queries: list[LabelledQuery]
    notices: list[Notice]


@dataclass
class ModeScores:
    ndcg10: float
    p5: float
    r20: float
    unsupported: int  # results with neither lexical nor semantic support above the floor


@dataclass
class SearchEvalReport:
    queries: int
    corpus: int
    #: store → mode → means
    scores: dict[str, dict[str, ModeScores]] = field(default_factory=dict)
    #: store → mode → query id → ranked uids (for agreement, and to look at one query)
    rankings: dict[str, dict[str, dict[str, list[str]]]] = field(default_factory=dict)

    def top5_agreement(self, mode: str = SearchMode.HYBRID.value) -> float | None:
        """Share of queries whose first five results are the same set on every store."""
        stores = list(self.rankings)
        if len(stores) < 2:
            return None
        first, *others = (self.rankings[s][mode] for s in stores)
        same = sum(all(set(first[q][:5]) == set(other[q][:5]) for other in others) for q in first)
        return same / len(first) if first else 1.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "queries": self.queries,
            "corpus": self.corpus,
            "scores": {
                store: {mode: vars(s) for mode, s in modes.items()}
                for store, modes in self.scores.items()
            },
            "top5_agreement_hybrid": self.top5_agreement(),
        }


def default_queries_path() -> Path | None:
    labelled = default_labelled_path()
    if labelled is None:
        return None
    candidate = labelled.parent / "search" / "queries.yaml"
    return candidate if candidate.exists() else None


def load_query_set(path: Path) -> QuerySet:
    """The queries and the corpus they are judged on; every relevant uid must be in the corpus."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    corpus_def = (path.parent / data["corpus_from"]).resolve()
    corpus = yaml.safe_load(corpus_def.read_text(encoding="utf-8"))["corpus"]
    root = corpus_root(corpus_def, corpus[0])
    notices = [n for name in corpus for n in read_notices(root / name) if n.kind in MATCHABLE]
    known = {n.uid for n in notices}
    queries, problems = [], []
    for entry in data["queries"]:
        relevant = frozenset(entry["relevant"])
        problems += [f"{path}: {entry['id']}: {u!r} is not in the corpus" for u in relevant - known]
        queries.append(LabelledQuery(entry["id"], entry.get("kind", ""), entry["query"], relevant))
    if problems:
        raise ValidationError("\n".join(problems))
    return QuerySet(queries, notices)


def supported(hit: Hit, floor: RelevanceFloor) -> bool:
    """A result some words of the query found, or whose meaning is close enough to stand alone."""
    return bool(hit.lexical) or (hit.similarity is not None and hit.similarity >= floor.similarity)


@dataclass
class ModeRun:
    """One mode's answers on one store: query id → ranked uids, and the unsupported ones."""

    ranked: dict[str, list[str]] = field(default_factory=dict)
    unsupported: dict[str, list[str]] = field(default_factory=dict)


def evaluate_store(ctx: Context, query_set: QuerySet) -> dict[str, ModeRun]:
    """mode → its run over every query, on the store `ctx` holds (already filled)."""
    out: dict[str, ModeRun] = {}
    floor = relevance_floor(ctx.settings)
    for mode in MODES:
        run = ModeRun()
        for q in query_set.queries:
            report = search(ctx, SearchQuery(text=q.text, mode=mode, limit=DEPTH))
            run.ranked[q.id] = [h.notice.uid for h in report.hits]
            run.unsupported[q.id] = [h.notice.uid for h in report.hits if not supported(h, floor)]
        out[mode.value] = run
    return out


def _means(query_set: QuerySet, run: ModeRun) -> ModeScores:
    n = len(query_set.queries)
    sums = [0.0, 0.0, 0.0]
    for q in query_set.queries:
        r, rel = run.ranked[q.id], set(q.relevant)
        sums[0] += ndcg_at(r, rel, 10)
        sums[1] += precision_at(r, rel, 5)
        sums[2] += recall_at(r, rel, 20)
    unsupported = sum(len(found) for found in run.unsupported.values())
    return ModeScores(sums[0] / n, sums[1] / n, sums[2] / n, unsupported)


def run_search_evaluation(
    ctx: Context,
    stores: dict[str, StoreOpener],
    queries: Path | None = None,
) -> SearchEvalReport:
    """Fill each store with the corpus (vectors from `ctx.embedder`) and measure every mode."""
    path = queries or default_queries_path()
    if path is None or not path.exists():
        raise ConfigError("tests/eval/search/queries.yaml not found: pass --queries PATH")
    query_set = load_query_set(path)
    report = SearchEvalReport(len(query_set.queries), len(query_set.notices))
    with tempfile.TemporaryDirectory(prefix="veilleuse-eval-search-") as folder:
        for name, open_store in stores.items():
            with open_store(Path(folder) / name) as store:
                store.write(query_set.notices, embedder=ctx.embedder)
                with Context(ctx.settings, store=store, embedder=ctx.embedder) as scoped:
                    ranked = evaluate_store(scoped, query_set)
            report.rankings[name] = {m: run.ranked for m, run in ranked.items()}
            report.scores[name] = {m: _means(query_set, r) for m, r in ranked.items()}
    return report


StoreOpener = Callable[[Path], AbstractContextManager[NoticeStore]]


@contextmanager
def _embedded(folder: Path) -> Iterator[NoticeStore]:
    from veilleuse.search.embedded_store import EmbeddedStore

    store = EmbeddedStore(folder / "notices.sqlite3")
    try:
        yield store
    finally:
        store.close()


def store_openers(settings: Settings, es_url: str | None = None) -> dict[str, StoreOpener]:
    """The embedded store always; Elasticsearch too when a URL is given (a throwaway index)."""
    openers: dict[str, StoreOpener] = {"embedded": _embedded}
    if es_url:

        @contextmanager
        def _elasticsearch(folder: Path) -> Iterator[NoticeStore]:
            from veilleuse.search.elasticsearch_store import ElasticsearchStore

            alias = f"veilleuse-eval-search-{uuid.uuid4().hex[:8]}"
            store = ElasticsearchStore(
                settings.store.model_copy(update={"url": es_url}), index_alias=alias
            )
            try:
                yield store
            finally:
                store.drop()
                store.close()

        openers["elasticsearch"] = _elasticsearch
    return openers


def format_table(report: SearchEvalReport) -> str:
    lines = [
        f"{report.queries} labelled queries over {report.corpus} real notices",
        f"{'store':<14}{'mode':<8}{'nDCG@10':>9}{'P@5':>7}{'R@20':>7}{'unsupported':>13}",
    ]
    for store, modes in report.scores.items():
        for mode, s in modes.items():
            lines.append(
                f"{store:<14}{mode:<8}{s.ndcg10:>9.3f}{s.p5:>7.3f}{s.r20:>7.3f}{s.unsupported:>13}"
            )
    agreement = report.top5_agreement()
    if agreement is not None:
        lines.append(f"stores agree on the hybrid top 5 for {agreement:.0%} of the queries")
    return "\n".join(lines)
