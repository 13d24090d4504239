"""The search use case on the embedded store: paging in every mode, sorts, facets, highlights.

Notices are constructed for these tests; the embedder is a tiny keyword fake (one axis per
topic word), so vector rankings are known in advance.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from veilleuse.app.context import Context
from veilleuse.app.search import SearchMode, SearchQuery, paris_today, search
from veilleuse.app.search_params import parse_query_string
from veilleuse.config.settings import Settings
from veilleuse.core.models import Buyer, Notice, NoticeKind, Places
from veilleuse.core.normalise import fold
from veilleuse.search.store import Filters, Sort, SortKey

TOPICS = ("nettoyage", "espaces", "restauration", "festival", "vitres", "collecte")


class KeywordEmbedder:
    """One axis per topic word found in the folded text (plus a constant axis), unit length."""

    name = "keywords-test"
    dimension = len(TOPICS) + 1

    def __init__(self) -> None:
        self.calls = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            folded = fold(text)
            for i, word in enumerate(TOPICS):
                if word in folded:
                    out[row, i] = 1.0
            out[row, -1] = 0.1
        return out / np.linalg.norm(out, axis=1, keepdims=True)


class NoEmbedder(KeywordEmbedder):
    def encode(self, texts: Sequence[str]) -> np.ndarray:
        raise AssertionError("a search without words must not load the model")


TODAY = paris_today(Context.now())


def notice(
    uid: str, title: str, days_to_deadline: int | None, published_ago: int, **kw: object
) -> Notice:
    return Notice.model_validate(
        {
            "uid": uid,
            "source": uid.split(":")[0],
            "native_id": uid.split(":")[1],
            "kind": NoticeKind.TENDER,
            "title": title,
            "deadline": TODAY + timedelta(days=days_to_deadline)
            if days_to_deadline is not None
            else None,
            "published": TODAY - timedelta(days=published_ago),
            **kw,
        }
    ).with_hash()


NOTICES = [
    notice(
        "boamp:1",
        "Nettoyage des locaux de la mairie",
        10,
        2,
        buyer=Buyer(name="Ville de Lille"),
        places=Places(departments=["59"]),
    ),
    notice(
        "boamp:2",
        "Nettoyage des vitres des écoles",
        30,
        5,
        places=Places(departments=["62"]),
    ),
    notice(
        "boamp:3",
        "Entretien des espaces verts",
        5,
        20,
        places=Places(departments=["59"]),
    ),
    notice(
        "boamp:4",
        "Restauration scolaire et nettoyage des cuisines",
        60,
        40,
        places=Places(departments=["80"]),
    ),
    notice("boamp:5", "Collecte des déchets verts", None, 1, places=Places(departments=["59"])),
]


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Context]:
    embedder = KeywordEmbedder()
    with Context(Settings(data_dir=tmp_path), embedder=embedder) as context:
        context.store.write(NOTICES)
        vectors = embedder.encode([n.text_for_embedding() for n in NOTICES])
        context.store.set_vectors(
            {n.uid: v for n, v in zip(NOTICES, vectors, strict=True)}, embedder.name
        )
        embedder.calls = 0
        yield context


def uids(ctx: Context, **fields: object) -> list[str]:
    return [h.notice.uid for h in search(ctx, SearchQuery.model_validate(fields)).hits]


@pytest.mark.parametrize("mode", list(SearchMode))
def test_every_mode_pages_through_the_same_ranking(ctx: Context, mode: SearchMode) -> None:
    full = search(ctx, SearchQuery(text="nettoyage", mode=mode, limit=5))
    ranked = [h.notice.uid for h in full.hits]
    assert len(ranked) >= 3 and full.total >= 3
    second = search(ctx, SearchQuery.paged(2, 2, text="nettoyage", mode=mode))
    assert [h.notice.uid for h in second.hits] == ranked[2:4]
    assert second.page == 2 and second.per_page == 2 and second.total == full.total


def test_text_ranking_and_highlights_kept_for_hybrid(ctx: Context) -> None:
    assert set(uids(ctx, text="nettoyage", mode="text")) == {"boamp:1", "boamp:2", "boamp:4"}
    hybrid = search(ctx, SearchQuery(text="nettoyage vitres"))
    top = hybrid.hits[0]
    assert top.notice.uid == "boamp:2"  # first in both rankings
    assert any("<mark>" in h for h in top.highlights)
    plain = search(ctx, SearchQuery(text="nettoyage vitres", highlights=False))
    assert [h.notice.uid for h in plain.hits] == [h.notice.uid for h in hybrid.hits]
    assert all(h.highlights == [] for h in plain.hits)


def test_no_words_lists_by_deadline_without_loading_the_model(tmp_path: Path) -> None:
    with Context(Settings(data_dir=tmp_path), embedder=NoEmbedder()) as context:
        context.store.write(NOTICES)
        report = search(context, SearchQuery(text="  ", mode=SearchMode.HYBRID))
    assert [h.notice.uid for h in report.hits] == [
        "boamp:3",
        "boamp:1",
        "boamp:2",
        "boamp:4",
        "boamp:5",  # no deadline: last
    ]
    assert report.total == 5 and report.sort == Sort(key=SortKey.DEADLINE)
    assert report.pages == 1 and not report.has_next


def test_sorts_apply_in_every_mode(ctx: Context) -> None:
    newest = Sort(key=SortKey.PUBLISHED, descending=True)
    assert uids(ctx, text="nettoyage", mode="text", sort=newest) == [
        "boamp:1",
        "boamp:2",
        "boamp:4",
    ]
    hybrid = uids(ctx, text="nettoyage", sort=Sort(key=SortKey.DEADLINE), limit=3)
    # the fused candidates above the relevance floor, by deadline: boamp:3, about green
    # spaces, has neither the word nor the meaning and is cut
    assert hybrid == ["boamp:1", "boamp:2", "boamp:4"]
    vector = uids(ctx, text="nettoyage", mode="vector", sort=newest, limit=2)
    assert vector == ["boamp:1", "boamp:2"]  # the three about cleaning pass the floor


def test_facets_follow_words_and_filters(ctx: Context) -> None:
    everything = search(ctx, SearchQuery(with_facets=True)).facets
    assert everything["department"] == {"59": 3, "62": 1, "80": 1}
    words = search(ctx, SearchQuery(text="nettoyage", with_facets=True)).facets
    assert words["department"] == {"59": 1, "62": 1, "80": 1}
    narrowed = search(
        ctx,
        SearchQuery(
            text="nettoyage", mode="text", filters=Filters(departments=["59"]), with_facets=True
        ),
    )
    assert narrowed.facets["department"] == {"59": 1} and narrowed.total == 1
    assert sum(narrowed.facets["kind"].values()) == narrowed.total
    assert search(ctx, SearchQuery(text="nettoyage")).facets == {}  # only when asked


def test_published_days_is_resolved_at_run_time(ctx: Context) -> None:
    report = search(ctx, SearchQuery(published_days=7))
    assert [h.notice.uid for h in report.hits] == ["boamp:1", "boamp:2", "boamp:5"]
    assert report.filters.published_from == TODAY - timedelta(days=7)
    assert report.query.filters.published_from is None  # the query itself stays relative


def test_a_url_runs_as_the_page_and_the_api_read_it(ctx: Context) -> None:
    query = parse_query_string("q=nettoyage&mode=text&dep=59&dep=62&sort=-deadline&per_page=1")
    report = search(ctx, query)
    assert [h.notice.uid for h in report.hits] == ["boamp:2"]
    assert report.total == 2 and report.pages == 2 and report.has_next
