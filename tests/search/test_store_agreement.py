"""The embedded and Elasticsearch stores agree on the demo data (real recorded samples).

Every notice parsed from `data/samples/` goes into both stores with the same deterministic
vectors: a signed hashed bag of words of the folded title + description (blake2b, dimension
384) through a fixed seeded random projection, unit length; no model is loaded. For each French
query under six filters, the top 5 of text, vector and hybrid search are compared.

- Matching is the same: both find the same number of notices for every query and filter.
- Vector: identical top 5, up to ties. Both rank by exact cosine then uid, and on ~130 notices
  HNSW (100 candidates) is exact; but notices with the same text have the same vector, and
  which of several tied notices fills the last places is the uid in one store and graph order
  in the other. So scores must be equal and uids equal outside a tie at the cut.
- Text and hybrid, when some notice has every word (the normal case): at least 4 of 5 in
  common, all of them when fewer than 5 match. BM25 differs on purpose: FTS5 over two columns
  (title weight 10, body 1) versus Elasticsearch, where the folded full text decides what
  matches and `title^3`, `description`, `buyer.name` and the lots (nested, max) add to the
  score, with per-field length norms and unfolded fields in the score.
- Text and hybrid in the any-word fallback (no notice has every word, e.g. "travaux de
  voirie"): the two ranking functions diverge most, because a frequent word ("de", "et") counts
  as a match and each store weighs it differently. Only 2 of 5 in common are required there.

Words after an elision ("l'insertion", "d'eau") are found in both: the Elasticsearch full-text
field is indexed word by word, as FTS5 does. Measured overlaps: docs/store-agreement.md.

Measured with the `standard` analyzer; with `veilleuse_french` (full distributions only, not
tried here) stemming makes Elasticsearch match more than FTS5, so totals are not compared.
Marked `integration` + `elasticsearch`: needs VEILLEUSE_TEST_ES_URL (skips without it, fails in CI).
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import numpy as np
import pytest

from test_support import SAMPLES, es_url_or_skip
from veilleuse.config.settings import StoreSettings
from veilleuse.core.models import Notice, NoticeKind
from veilleuse.core.normalise import fold
from veilleuse.search.embedded_store import EmbeddedStore
from veilleuse.search.es_mapping import full_text
from veilleuse.search.store import Filters, NoticeStore, SearchResult
from veilleuse.spiders.recorded import collect_recorded

pytestmark = [pytest.mark.integration, pytest.mark.elasticsearch]

DIM = 384
TOP = 5
MODEL = "hashed-bow-test"
SCORE_TOLERANCE = 1e-5  # Elasticsearch gives (1 + cos) / 2 in float32
_WORD = re.compile(r"\w+", re.UNICODE)
ANALYZER = os.environ.get("VEILLEUSE_STORE__TEXT_ANALYZER", "standard")
QUERIES = [
    "nettoyage",
    "espaces verts",
    "restauration scolaire",
    "insertion",
    "festival",
    "travaux de voirie",
    "eau potable",
    "associations culture",
    "économie sociale et solidaire",
    "mobilité",
    "santé mentale",
    "agriculture urbaine",
]
TEXT_QUERIES = QUERIES
FILTERS: dict[str, Filters] = {
    "none": Filters(),
    "funding calls": Filters(kinds=[NoticeKind.FUNDING_CALL]),
    "tenders + awards": Filters(kinds=[NoticeKind.TENDER, NoticeKind.AWARD]),
    "Paris (75)": Filters(departments=["75"]),
    "CPV 45/90/77": Filters(cpv_prefixes=["45", "90", "77"]),
    "deadline 2025-2026": Filters(deadline_from=date(2025, 1, 1), deadline_to=date(2026, 12, 31)),
}
MODES = ("text", "vector", "hybrid")
FALLBACK_OVERLAP = 2


_PROJECTION = np.random.default_rng(20261125).standard_normal((DIM, DIM)).astype(np.float32)


def hashed_vector(text: str) -> np.ndarray:
    """Signed hashed bag of words of the folded text, through a fixed random projection.

    The projection makes the vectors dense, so unrelated notices do not all tie at a cosine of 0.
    """
    bag = np.zeros(DIM, dtype=np.float32)
    for word in _WORD.findall(fold(text)):
        digest = hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest()
        value = int.from_bytes(digest, "little")
        bag[value % DIM] += 1.0 if (value >> 32) & 1 else -1.0
    vec = _PROJECTION @ bag
    norm = float(np.linalg.norm(vec))
    return (vec / norm).astype(np.float32) if norm else vec


def notice_vector(notice: Notice) -> np.ndarray:
    return hashed_vector(f"{notice.title} {notice.description or ''}")


@dataclass
class Comparison:
    mode: str
    query: str
    filters: str
    every_word: bool  # some notice under the filters has every word (no any-word fallback)
    embedded: list[str]
    elasticsearch: list[str]
    embedded_scores: list[float]
    elasticsearch_scores: list[float]

    @property
    def overlap(self) -> int:
        return len(set(self.embedded) & set(self.elasticsearch))

    @property
    def required(self) -> int:
        """4 of 5 (2 in the any-word fallback), or every hit when fewer than 5 match."""
        if len(self.embedded) < TOP:
            return len(self.embedded)
        return TOP - 1 if self.every_word else FALLBACK_OVERLAP

    def same_up_to_ties(self) -> bool:
        """Equal scores, and equal uids except inside a group of tied scores at the cut."""
        a, b = self.embedded_scores, self.elasticsearch_scores
        if len(a) != len(b) or any(abs(x - y) > SCORE_TOLERANCE for x, y in zip(a, b, strict=True)):
            return False
        last = a[-1] if a else 0.0
        return all(
            u == v
            for u, v, score in zip(self.embedded, self.elasticsearch, a, strict=True)
            if abs(score - last) > SCORE_TOLERANCE
        )


def demo_notices() -> list[Notice]:
    return [n for batch in collect_recorded(SAMPLES).values() for n in batch.notices]


def load(store: NoticeStore, notices: list[Notice]) -> None:
    report = store.write(notices)
    assert not report.failed, report.failed[:3]
    store.set_vectors({n.uid: notice_vector(n) for n in notices}, MODEL)


def has_every_word(store: NoticeStore, query: str, filters: Filters) -> bool:
    """Computed here, not by a store: every word present, the last one as a prefix."""
    words = _WORD.findall(fold(query))
    for notice in store.iter_notices(filters):
        tokens = set(_WORD.findall(full_text(notice)))
        if all(w in tokens for w in words[:-1]) and any(t.startswith(words[-1]) for t in tokens):
            return True
    return False


def search(store: NoticeStore, mode: str, query: str, filters: Filters) -> SearchResult:
    if mode == "text":
        return store.search_text(query, filters, limit=TOP)
    if mode == "vector":
        return store.search_vector(hashed_vector(query), filters, limit=TOP)
    return store.search_hybrid(query, hashed_vector(query), filters, limit=TOP)


def compare(embedded: NoticeStore, es: NoticeStore, query: str) -> list[Comparison]:
    out = []
    for name, filters in FILTERS.items():
        every_word = has_every_word(embedded, query, filters)
        for mode in MODES:
            a, b = search(embedded, mode, query, filters), search(es, mode, query, filters)
            out.append(
                Comparison(
                    mode,
                    query,
                    name,
                    every_word,
                    a.uids(),
                    b.uids(),
                    [h.score for h in a.hits],
                    [h.score for h in b.hits],
                )
            )
    return out


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[NoticeStore, NoticeStore]]:
    url = es_url_or_skip()
    from veilleuse.search.elasticsearch_store import ElasticsearchStore

    settings = StoreSettings(url=url, text_analyzer=ANALYZER)
    es = ElasticsearchStore(
        settings, index_alias=f"test-agreement-{uuid.uuid4().hex[:10]}", dimension=DIM
    )
    embedded = EmbeddedStore(tmp_path_factory.mktemp("agreement") / "notices.sqlite3")
    notices = demo_notices()
    try:
        load(embedded, notices)
        load(es, notices)
        yield embedded, es
    finally:
        embedded.close()
        es.drop()
        es.close()


@pytest.fixture(scope="module")
def comparisons(stores: tuple[NoticeStore, NoticeStore]) -> dict[str, list[Comparison]]:
    return {q: compare(*stores, q) for q in QUERIES}


def test_both_stores_hold_the_same_demo_notices(stores: tuple[NoticeStore, NoticeStore]) -> None:
    embedded, es = stores
    expected = len({n.uid for n in demo_notices()})
    assert embedded.count() == es.count() == expected
    for filters in FILTERS.values():
        assert embedded.count(filters) == es.count(filters)
    assert embedded.uids_without_vector(MODEL) == es.uids_without_vector(MODEL) == []


def test_queries_are_not_vacuous(comparisons: dict[str, list[Comparison]]) -> None:
    """Every query finds text hits, and most cases are in the every-word (normal) regime."""
    for query, cases in comparisons.items():
        assert any(c.embedded for c in cases if c.mode == "text"), query
    text = [c for cases in comparisons.values() for c in cases if c.mode == "text" and c.embedded]
    assert sum(c.every_word for c in text) > len(text) / 2


@pytest.mark.parametrize("query", TEXT_QUERIES)
def test_text_totals_agree(stores: tuple[NoticeStore, NoticeStore], query: str) -> None:
    """Same matching semantics: a query matches the same number of notices in both stores."""
    if ANALYZER != "standard":
        pytest.skip(f"{ANALYZER} stems words (FTS5 does not): totals differ by design")
    embedded, es = stores
    totals = {
        name: (embedded.search_text(query, f).total, es.search_text(query, f).total)
        for name, f in FILTERS.items()
    }
    assert all(a == b for a, b in totals.values()), totals


@pytest.mark.parametrize("query", QUERIES)
def test_vector_top5_identical_up_to_ties(
    comparisons: dict[str, list[Comparison]], query: str
) -> None:
    differ = [c for c in comparisons[query] if c.mode == "vector" and not c.same_up_to_ties()]
    assert not differ, differ


@pytest.mark.parametrize("query", TEXT_QUERIES)
def test_text_and_hybrid_top5_overlap(comparisons: dict[str, list[Comparison]], query: str) -> None:
    poor = [
        (c.mode, c.filters, f"{c.overlap}/{c.required}", c.embedded, c.elasticsearch)
        for c in comparisons[query]
        if c.mode != "vector" and c.overlap < c.required
    ]
    assert not poor, poor


def overlap_table(comparisons: list[Comparison]) -> str:
    """Markdown summary per mode and regime: overlaps of full top 5s, and the smaller lists."""
    lines = [
        "| mode | regime | cases with 5 hits | mean overlap | 5/5 | 4/5 | 3/5 | ≤ 2/5 "
        "| cases with 1–4 hits: same set |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for mode in MODES:
        for every_word in (True, False):
            cases = [c for c in comparisons if c.mode == mode and c.every_word is every_word]
            full = [c for c in cases if len(c.embedded) == TOP]
            small = [c for c in cases if 0 < len(c.embedded) < TOP]
            same = sum(1 for c in small if set(c.embedded) == set(c.elasticsearch))
            mean = f"{sum(c.overlap for c in full) / len(full):.2f}" if full else "–"
            counts = [sum(1 for c in full if c.overlap == k) for k in (5, 4, 3)]
            regime = "every word" if every_word else "any-word fallback"
            lines.append(
                f"| {mode} | {regime} | {len(full)} | {mean} | "
                + " | ".join(str(n) for n in counts)
                + f" | {len(full) - sum(counts)} | {same}/{len(small)} |"
            )
    return "\n".join(lines)


def test_print_measured_overlaps(comparisons: dict[str, list[Comparison]]) -> None:
    """`pytest -s -k overlaps` prints the table of docs/store-agreement.md and every difference."""
    found = [c for cases in comparisons.values() for c in cases]
    print("\n" + overlap_table(found))
    for c in found:
        if c.embedded != c.elasticsearch:
            regime = "every word" if c.every_word else "fallback"
            print(f"{c.mode:<7}{c.overlap}/{len(c.embedded)} {c.query!r} [{c.filters}] {regime}")
            print(f"    embedded      {c.embedded}\n    elasticsearch {c.elasticsearch}")
