"""Force-merge of the Elasticsearch index after a large write (`search/es_compact.py`), against
the real node of VEILLEUSE_TEST_ES_URL. Notices and vectors are constructed for the test (not
real data).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from test_support import es_url_or_skip
from veilleuse.config.settings import StoreSettings
from veilleuse.core.models import Notice, NoticeKind, Places
from veilleuse.search.elasticsearch_store import ElasticsearchStore
from veilleuse.search.store import Filters

pytestmark = [pytest.mark.elasticsearch, pytest.mark.integration]
DIM = 4
WORDS = ["nettoyage", "espaces verts", "restauration", "insertion", "vitrerie"]


def notice(n: int) -> Notice:
    return Notice(
        uid=f"boamp:{n}",
        source="boamp",
        native_id=str(n),
        kind=NoticeKind.TENDER,
        title=f"Marché {n} : {WORDS[n % len(WORDS)]}",
        places=Places(departments=["59" if n % 2 else "62"]),
    ).with_hash()


def vector(n: int) -> np.ndarray:
    v = np.random.default_rng(n).standard_normal(DIM).astype(np.float32)
    return v / np.linalg.norm(v)


@pytest.fixture
def store_factory() -> Iterator[Any]:
    made: list[ElasticsearchStore] = []

    def make(**settings: Any) -> ElasticsearchStore:
        store = ElasticsearchStore(
            StoreSettings(url=es_url_or_skip(), **settings),  # type: ignore[call-arg]
            index_alias=f"test-compact-{uuid.uuid4().hex[:10]}",
            dimension=DIM,
        )
        made.append(store)
        return store

    yield make
    for store in made:
        store.drop()
        store.close()


def written_in_rounds(store: ElasticsearchStore, rounds: int = 6, per: int = 10) -> None:
    """Several writes, each refreshed: one segment or more per round, plus updated copies."""
    for r in range(rounds):
        store.write([notice(n) for n in range(r * per, (r + 1) * per)])
    store.set_vectors({f"boamp:{n}": vector(n) for n in range(rounds * per)}, model="test")


def segments(store: ElasticsearchStore) -> tuple[int, int]:
    """Searchable segments and deleted documents of the index, from `_segments`."""
    index = store.current_index()
    body = store.client.indices.segments(index=index).body
    shards = body["indices"][index]["shards"]["0"]
    primary = next(copy for copy in shards if copy["routing"]["primary"])
    found = [s for s in primary["segments"].values() if s["search"]]
    return len(found), sum(s["deleted_docs"] for s in found)


def answers(store: ElasticsearchStore) -> tuple[object, ...]:
    vec = vector(7)
    return (
        store.count(),
        [(h.notice.uid, round(h.score, 4)) for h in store.search_vector(vec, limit=10).hits],
        store.search_text("nettoyage", Filters(departments=["59"]), limit=50).uids(),
        store.search_hybrid("restauration", vec, limit=10).uids(),
    )


def test_large_write_is_merged_into_one_segment_with_the_same_answers(store_factory: Any) -> None:
    store = store_factory()
    written_in_rounds(store)
    count, deleted = segments(store)
    assert count > 1 and deleted > 0  # the vector updates left old copies
    before = answers(store)
    report = store.compact(changed=5_000)
    assert report.outcome == "merged", report
    assert (report.segments_before, report.segments_after) == (count, 1)
    assert segments(store)[0] == 1  # (soft-deleted copies stay for the retention lease, 12 h)
    assert answers(store) == before


def test_small_write_or_setting_zero_is_not_merged(store_factory: Any) -> None:
    small = store_factory(forcemerge_min_changed=1000)
    written_in_rounds(small, rounds=3)
    count, _ = segments(small)
    report = small.compact(changed=30)
    assert report.outcome == "skipped" and report.segments_before == count
    assert segments(small)[0] == count
    never = store_factory(forcemerge_segments=0)
    written_in_rounds(never, rounds=3)
    assert never.compact(changed=1_000_000).outcome == "skipped"
    assert segments(never)[0] > 1
    # a lower threshold merges the same small write
    low = store_factory(forcemerge_min_changed=10)
    written_in_rounds(low, rounds=3)
    assert low.compact(changed=30).outcome == "merged"
    assert segments(low)[0] == 1
