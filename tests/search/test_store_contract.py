"""The NoticeStore contract, run on every backend through the `store` fixture.

Every case asserts on a non-empty, exactly known result, so an empty store cannot pass. The notices
below are constructed for the contract (not real data).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from veilleuse.core.models import (
    Buyer,
    Lot,
    Money,
    Notice,
    NoticeKind,
    NoticeStatus,
    Places,
)
from veilleuse.search.store import DuplicatePolicy, Filters, NoticeStore, Sort, SortKey

DIM = 8
TODAY = datetime.now(UTC).date()


def vec(*hot: int) -> np.ndarray:
    v = np.zeros(DIM, dtype=np.float32)
    for i in hot:
        v[i] = 1.0
    return v / np.linalg.norm(v)


def notice(uid: str, title: str, **kw: object) -> Notice:
    source, native = uid.split(":", 1)
    base: dict[str, object] = {
        "uid": uid,
        "source": source,
        "native_id": native,
        "kind": NoticeKind.TENDER,
        "title": title,
    }
    base.update(kw)
    return Notice.model_validate(base).with_hash()


def corpus() -> list[Notice]:
    soon = TODAY + timedelta(days=5)
    later = TODAY + timedelta(days=60)
    return [
        notice(
            "boamp:1",
            "Entretien des espaces verts de la commune",
            description="Tonte, taille des haies et débroussaillage.",
            buyer=Buyer(name="Ville de Lille", siret="21590350100017", department="59"),
            places=Places(departments=["59"], nuts=["FRE11"]),
            cpv=["77310000"],
            deadline=soon,
            reserved=True,
            published=TODAY - timedelta(days=2),
            estimated_value=Money(amount=40_000),
            social_clause=True,
        ),
        notice(
            "boamp:2",
            "Nettoyage des locaux administratifs",
            description="Prestations de nettoyage de bureaux et vitrerie.",
            buyer=Buyer(name="Département du Pas-de-Calais", department="62"),
            places=Places(departments=["62"]),
            cpv=["90911200"],
            deadline=datetime.combine(later, datetime.min.time(), tzinfo=UTC).replace(hour=12),
            reserved=False,
            published=TODAY - timedelta(days=20),
            social_clause=False,
            lots=[  # no value of its own: the lots' values add up to 150 000 €
                Lot(
                    id="1",
                    title="Nettoyage des bureaux",
                    cpv=["90911200"],
                    estimated_value=Money(amount=100_000),
                ),
                Lot(
                    id="2",
                    title="Lavage des vitres",
                    cpv=["90911300"],
                    estimated_value=Money(amount=50_000),
                ),
            ],
        ),
        notice(
            "ted:100-2026",
            "Restauration collective des collèges",
            description="Fourniture de repas en liaison froide pour les collèges.",
            buyer=Buyer(name="Conseil départemental du Nord", postcode="59800", department="59"),
            places=Places(departments=["59"]),
            cpv=["55524000"],
            deadline=TODAY - timedelta(days=3),
            status=NoticeStatus.CLOSED,
            published=TODAY - timedelta(days=40),
            estimated_value=Money(amount=2_000_000),
        ),
        notice(
            "aides-territoires:7",
            "Appel à projets festival de musique solidaire",
            kind=NoticeKind.FUNDING_CALL,
            description="Soutien aux associations culturelles organisant un festival.",
            buyer=Buyer(name="Région Hauts-de-France"),
            places=Places(departments=["80"]),
            audiences=["associations", "local_authorities"],
        ),
    ]


VECTORS = {
    "boamp:1": vec(0),
    "boamp:2": vec(1),
    "ted:100-2026": vec(2),
    "aides-territoires:7": vec(3),
}


@pytest.fixture
def loaded(store: NoticeStore) -> NoticeStore:
    report = store.write(corpus())
    assert sorted(report.created) == sorted(n.uid for n in corpus())
    store.set_vectors(VECTORS, model="test-model")
    return store


def test_write_get_roundtrip_keeps_every_field(store: NoticeStore) -> None:
    original = corpus()[1]
    store.write([original])
    got = store.get("boamp:2")
    assert got is not None
    assert got.model_dump(exclude={"first_seen", "last_seen"}) == original.model_dump(
        exclude={"first_seen", "last_seen"}
    )
    assert got.first_seen is not None and got.last_seen is not None


def test_rewrite_unchanged_is_noop_and_changed_is_update(loaded: NoticeStore) -> None:
    first = loaded.get("boamp:1")
    assert first is not None
    again = loaded.write(corpus())
    assert sorted(again.unchanged) == sorted(n.uid for n in corpus())
    assert again.created == [] and again.updated == []
    changed = corpus()[0].model_copy(update={"title": "Entretien des espaces verts (rectificatif)"})
    report = loaded.write([changed.with_hash()])
    assert report.updated == ["boamp:1"]
    after = loaded.get("boamp:1")
    assert after is not None and after.title.endswith("(rectificatif)")
    assert after.first_seen == first.first_seen
    assert loaded.count() == 4


def test_duplicate_policies(loaded: NoticeStore) -> None:
    changed = corpus()[0].model_copy(update={"title": "Autre titre"}).with_hash()
    skip = loaded.write([changed], policy=DuplicatePolicy.SKIP)
    assert skip.skipped == ["boamp:1"]
    fail = loaded.write([changed], policy=DuplicatePolicy.FAIL)
    assert [uid for uid, _ in fail.failed] == ["boamp:1"]
    stored = loaded.get("boamp:1")
    assert stored is not None and stored.title == "Entretien des espaces verts de la commune"


def test_get_many_keeps_order_and_ignores_unknown(loaded: NoticeStore) -> None:
    got = loaded.get_many(["ted:100-2026", "nope:1", "boamp:1"])
    assert [n.uid for n in got] == ["ted:100-2026", "boamp:1"]


def test_delete_and_count(loaded: NoticeStore) -> None:
    assert loaded.delete(["boamp:2", "nope:1"]) == 1
    assert loaded.count() == 3
    assert loaded.get("boamp:2") is None
    assert "boamp:2" not in loaded.search_text("nettoyage").uids()


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(kinds=[NoticeKind.FUNDING_CALL]), {"aides-territoires:7"}),
        (Filters(sources=["boamp"]), {"boamp:1", "boamp:2"}),
        (Filters(departments=["59"]), {"boamp:1", "ted:100-2026"}),
        (Filters(cpv_prefixes=["9091"]), {"boamp:2"}),
        (Filters(cpv_prefixes=["77", "55"]), {"boamp:1", "ted:100-2026"}),
        (Filters(reserved=True), {"boamp:1"}),
        (Filters(reserved=False), {"boamp:2"}),
        (Filters(statuses=[NoticeStatus.CLOSED]), {"ted:100-2026"}),
        (Filters(deadline_from=TODAY), {"boamp:1", "boamp:2"}),
        (Filters(deadline_to=TODAY + timedelta(days=5)), {"boamp:1", "ted:100-2026"}),
        (
            Filters(
                deadline_from=TODAY, deadline_to=TODAY + timedelta(days=10), departments=["59"]
            ),
            {"boamp:1"},
        ),
        (Filters(uids=["boamp:2", "ted:100-2026"]), {"boamp:2", "ted:100-2026"}),
        # buyer: contained, case, accents and spaces folded ("départemental" contains it too)
        (Filters(buyer="departement"), {"boamp:2", "ted:100-2026"}),
        (Filters(buyer="VILLE DE LILLE"), {"boamp:1"}),
        (Filters(buyer="  région   hauts"), {"aides-territoires:7"}),
        # buyer areas: the MEL (EPCI SIREN) holds Lille's SIREN (boamp:1's SIRET) and a postcode
        # of Lille only (ted:100-2026); Lille by its INSEE code; Valenciennes Métropole neither
        (Filters(buyer_areas=["200093201"]), {"boamp:1", "ted:100-2026"}),
        (Filters(buyer_areas=["59350"], sources=["ted"]), {"ted:100-2026"}),
        (Filters(buyer_areas=["245901160", "59350"]), {"boamp:1", "ted:100-2026"}),
        (Filters(buyer_areas=["245901160"], departments=["59"]), set()),
        # amounts: a notice without a value of its own counts its lots' values
        (Filters(amount_min=50_000), {"boamp:2", "ted:100-2026"}),
        (Filters(amount_max=100_000), {"boamp:1"}),
        (Filters(amount_min=100_000, amount_max=200_000), {"boamp:2"}),
        (Filters(published_from=TODAY - timedelta(days=15)), {"boamp:1"}),
        (Filters(published_to=TODAY - timedelta(days=15)), {"boamp:2", "ted:100-2026"}),
        (
            Filters(
                published_from=TODAY - timedelta(days=30), published_to=TODAY - timedelta(days=2)
            ),
            {"boamp:1", "boamp:2"},
        ),
        (Filters(social_clause=True), {"boamp:1"}),
        (Filters(social_clause=False), {"boamp:2"}),
        (Filters(audiences=["local_authorities", "companies"]), {"aides-territoires:7"}),
        (
            Filters(kinds=[NoticeKind.TENDER], amount_min=10_000, social_clause=False),
            {"boamp:2"},
        ),
    ],
)
def test_filters(loaded: NoticeStore, filters: Filters, expected: set[str]) -> None:
    assert loaded.count(filters) == len(expected)
    assert {n.uid for n in loaded.iter_notices(filters)} == expected


def test_text_search_folds_case_and_accents(loaded: NoticeStore) -> None:
    result = loaded.search_text("COLLEGES")
    assert result.uids() == ["ted:100-2026"]
    assert result.total == 1
    assert loaded.search_text("débroussaillage").uids() == ["boamp:1"]


def test_text_search_ranks_title_above_body_and_finds_lots(loaded: NoticeStore) -> None:
    result = loaded.search_text("nettoyage")
    assert result.uids()[0] == "boamp:2"
    assert loaded.search_text("vitres").uids() == ["boamp:2"]


def test_text_search_with_filters_and_highlights(loaded: NoticeStore) -> None:
    result = loaded.search_text("festival", Filters(kinds=[NoticeKind.FUNDING_CALL]))
    assert result.uids() == ["aides-territoires:7"]
    assert any("festival" in h.lower() for h in result.hits[0].highlights)
    assert loaded.search_text("festival", Filters(kinds=[NoticeKind.TENDER])).uids() == []


def test_vector_search_orders_by_cosine_and_filters(loaded: NoticeStore) -> None:
    query = vec(1) * 0.9 + vec(0) * 0.1
    result = loaded.search_vector(query / np.linalg.norm(query), limit=2)
    assert result.uids() == ["boamp:2", "boamp:1"]
    assert result.hits[0].score > result.hits[1].score
    filtered = loaded.search_vector(vec(1), Filters(departments=["59"]), limit=5)
    assert filtered.uids()[0] == "boamp:1"
    assert "boamp:2" not in filtered.uids()


def test_hybrid_fuses_text_and_vector(loaded: NoticeStore) -> None:
    # text finds only boamp:2; the vector points at aides-territoires:7: both must come back,
    # and a notice found by both rankings must beat one found by a single ranking.
    result = loaded.search_hybrid("nettoyage", vec(3), limit=4)
    assert set(result.uids()[:2]) == {"boamp:2", "aides-territoires:7"}
    both = loaded.search_hybrid("nettoyage", vec(1), limit=4)
    assert both.uids()[0] == "boamp:2"


def test_vectors_track_content(loaded: NoticeStore) -> None:
    assert loaded.uids_without_vector("test-model") == []
    assert set(loaded.uids_without_vector("other-model")) == set(VECTORS)
    changed = corpus()[3].model_copy(update={"description": "Nouveau texte"}).with_hash()
    loaded.write([changed])
    assert loaded.uids_without_vector("test-model") == ["aides-territoires:7"]
    got = loaded.get_vectors(["boamp:1"])
    assert np.allclose(got["boamp:1"], VECTORS["boamp:1"])


def test_facets(loaded: NoticeStore) -> None:
    facets = loaded.facets()
    assert facets["source"] == {"boamp": 2, "ted": 1, "aides-territoires": 1}
    assert facets["kind"] == {"tender": 3, "funding_call": 1}
    assert facets["department"]["59"] == 2
    assert facets["cpv_division"] == {"77": 1, "90": 1, "55": 1}
    assert facets["reserved"] == {"true": 1, "false": 1, "unknown": 2}
    assert facets["deadline"] == {"week": 1, "later": 1, "past": 1, "none": 1}
    narrowed = loaded.facets(Filters(sources=["boamp"]))
    assert narrowed["kind"] == {"tender": 2}


def test_new_facets_and_their_counts_follow_the_filters(loaded: NoticeStore) -> None:
    facets = loaded.facets()
    assert facets["social_clause"] == {"unknown": 2, "false": 1, "true": 1}
    assert facets["status"] == {"open": 3, "closed": 1}
    assert facets["audience"] == {"associations": 1, "local_authorities": 1}
    narrowed = loaded.facets(Filters(social_clause=True))
    assert narrowed["source"] == {"boamp": 1}
    assert narrowed["department"] == {"59": 1}
    assert narrowed["status"] == {"open": 1}


# no notice has both words: the fallback finds the three tenders, with one word each ("services"
# through the French labels of their CPV codes)
THREE = "entretien services"


def test_facets_count_what_the_query_and_filters_find(loaded: NoticeStore) -> None:
    words = loaded.facets(query=THREE)
    assert words["source"] == {"boamp": 2, "ted": 1}
    both = loaded.facets(Filters(departments=["59"]), query=THREE)
    assert both["source"] == {"boamp": 1, "ted": 1}
    # any-word fallback, like text search: no notice has both words
    fallback = loaded.facets(query="festival vitres")
    assert fallback["kind"] == {"funding_call": 1, "tender": 1}
    for query, filters in [
        (THREE, None),
        (THREE, Filters(statuses=[NoticeStatus.OPEN])),
        ("festival vitres", None),
        ("", Filters(amount_min=1)),
    ]:
        total = loaded.search_text(query, filters).total
        counts = loaded.facets(filters, query or None)
        assert total > 0 and sum(counts["kind"].values()) == total
        assert sum(counts["deadline"].values()) == total


def test_deadline_facet_counts_whole_utc_days(store: NoticeStore) -> None:
    """Each bucket starts at midnight UTC of its first day (`deadline_bucket`): an instant one
    second earlier is still in the bucket before. Ties are ordered by value in both stores."""

    def at(days: int, seconds: int = 0) -> datetime:
        midnight = datetime.combine(TODAY + timedelta(days=days), datetime.min.time(), UTC)
        return midnight + timedelta(seconds=seconds)

    deadlines = {
        "past": at(0, -1),
        "week-first": at(0),
        "week-last": at(8, -1),
        "month-first": at(8),
        "month-last": at(31, -1),
        "later": at(31),
    }
    store.write([notice(f"boamp:{name}", "Avis", deadline=d) for name, d in deadlines.items()])
    counts = store.facets()["deadline"]
    assert list(counts.items()) == [("month", 2), ("week", 2), ("later", 1), ("past", 1)]
    week = Filters(deadline_from=TODAY, deadline_to=TODAY + timedelta(days=7))
    assert store.facets(week)["deadline"] == {"week": 2}


# --------------------------------------------------------------------------- listing and sorts

ALL_BY_DEADLINE = ["ted:100-2026", "boamp:1", "boamp:2", "aides-territoires:7"]


def test_no_words_lists_the_filtered_notices_by_deadline_with_a_total(
    loaded: NoticeStore,
) -> None:
    listing = loaded.search_text("")
    assert listing.uids() == ALL_BY_DEADLINE and listing.total == 4
    assert loaded.search_text("  ,; ").uids() == ALL_BY_DEADLINE
    page = loaded.search_text("", limit=2, offset=1)
    assert page.uids() == ["boamp:1", "boamp:2"] and page.total == 4
    filtered = loaded.search_text("", Filters(departments=["59"]))
    assert filtered.uids() == ["ted:100-2026", "boamp:1"] and filtered.total == 2


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (Sort(key=SortKey.RELEVANCE), ALL_BY_DEADLINE),  # no words: the listing order
        (Sort(key=SortKey.DEADLINE), ALL_BY_DEADLINE),
        (
            Sort(key=SortKey.DEADLINE, descending=True),
            ["boamp:2", "boamp:1", "ted:100-2026", "aides-territoires:7"],
        ),
        (
            Sort(key=SortKey.PUBLISHED, descending=True),
            ["boamp:1", "boamp:2", "ted:100-2026", "aides-territoires:7"],
        ),
        (
            Sort(key=SortKey.PUBLISHED),
            ["ted:100-2026", "boamp:2", "boamp:1", "aides-territoires:7"],
        ),
    ],
)
def test_listing_sorts_with_missing_values_last(
    loaded: NoticeStore, sort: Sort, expected: list[str]
) -> None:
    result = loaded.search_text("", sort=sort)
    assert result.uids() == expected and result.total == 4


def test_any_word_fallback_can_be_turned_off(loaded: NoticeStore) -> None:
    assert set(loaded.search_text("festival vitres").uids()) == {
        "aides-territoires:7",
        "boamp:2",
    }
    strict = loaded.search_text("festival vitres", any_word_fallback=False)
    assert strict.uids() == [] and strict.total == 0
    both = loaded.search_text("nettoyage locaux", any_word_fallback=False)
    assert both.uids() == ["boamp:2"] and both.total == 1


def test_text_search_sorted_by_deadline_or_publication(loaded: NoticeStore) -> None:
    assert loaded.search_text(THREE).total == 3
    by_deadline = loaded.search_text(THREE, sort=Sort(key=SortKey.DEADLINE))
    assert by_deadline.uids() == ["ted:100-2026", "boamp:1", "boamp:2"]
    newest = loaded.search_text(THREE, sort=Sort(key=SortKey.PUBLISHED, descending=True))
    assert newest.uids() == ["boamp:1", "boamp:2", "ted:100-2026"]
    second = loaded.search_text(THREE, limit=1, offset=1, sort=Sort(key=SortKey.DEADLINE))
    assert second.uids() == ["boamp:1"] and second.total == 3


def test_vector_and_hybrid_page_and_sort(loaded: NoticeStore) -> None:
    query = vec(1) * 0.9 + vec(0) * 0.1
    query = query / np.linalg.norm(query)
    assert loaded.search_vector(query, limit=1, offset=1).uids() == ["boamp:1"]
    full = loaded.search_hybrid("nettoyage", vec(1), limit=4).uids()
    assert len(full) == 4
    assert loaded.search_hybrid("nettoyage", vec(1), limit=2, offset=2).uids() == full[2:]
    # a sort orders the fused candidates (text finds boamp:2, the vector all four)
    by_deadline = loaded.search_hybrid(
        "nettoyage", vec(3), limit=4, sort=Sort(key=SortKey.DEADLINE)
    )
    assert by_deadline.uids() == ALL_BY_DEADLINE
    hit = next(h for h in by_deadline.hits if h.notice.uid == "boamp:2")
    assert any("<mark>" in h for h in hit.highlights)
    by_vector = loaded.search_vector(query, limit=2, sort=Sort(key=SortKey.DEADLINE))
    assert by_vector.uids() == ALL_BY_DEADLINE[:2]


def test_updated_since_follows_content_changes_only(loaded: NoticeStore) -> None:
    latest_first = Sort(key=SortKey.UPDATED, descending=True)
    before = loaded.search_text("", sort=latest_first)
    assert before.total == 4 and all(h.updated_at is not None for h in before.hits)
    cutoff = max(h.updated_at for h in before.hits if h.updated_at) + timedelta(microseconds=1)
    loaded.write(corpus())  # unchanged content: updated_at stays
    assert loaded.count(Filters(updated_since=cutoff)) == 0
    changed = corpus()[2].model_copy(update={"title": "Restauration (rectificatif)"}).with_hash()
    assert loaded.write([changed]).updated == ["ted:100-2026"]
    since = loaded.search_text("", Filters(updated_since=cutoff))
    assert since.uids() == ["ted:100-2026"] and since.total == 1
    assert loaded.search_text("", sort=latest_first, limit=1).uids() == ["ted:100-2026"]
    stamp = since.hits[0].updated_at
    assert stamp is not None and stamp >= cutoff
    assert loaded.count(Filters(updated_since=stamp)) == 1  # inclusive
    oldest_first = loaded.search_text("", sort=Sort(key=SortKey.UPDATED)).uids()
    assert oldest_first[-1] == "ted:100-2026"


def test_first_seen_from_keeps_notices_first_stored_since(loaded: NoticeStore) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=30)
    old = notice("boamp:9", "Ancien avis", first_seen=long_ago)
    loaded.write([old])
    stored = loaded.get("boamp:9")
    assert stored is not None and stored.first_seen == long_ago
    recent = Filters(first_seen_from=datetime.now(UTC) - timedelta(days=1))
    assert {n.uid for n in loaded.iter_notices(recent)} == set(VECTORS)
    assert loaded.count(Filters(first_seen_from=long_ago)) == 5


def test_first_seen_window_is_half_open(loaded: NoticeStore) -> None:
    """`first_seen_from` ≤ first seen < `first_seen_before`: consecutive windows share nothing."""
    june, july = datetime(2025, 6, 1, tzinfo=UTC), datetime(2025, 7, 1, tzinfo=UTC)
    loaded.write(
        [
            notice("boamp:91", "Vu en juin", first_seen=june),
            notice("boamp:92", "Vu fin juin", first_seen=july - timedelta(microseconds=1)),
            notice("boamp:93", "Vu en juillet", first_seen=july),
        ]
    )
    in_june = Filters(first_seen_from=june, first_seen_before=july)
    assert {n.uid for n in loaded.iter_notices(in_june)} == {"boamp:91", "boamp:92"}
    assert loaded.facets(in_june)["source"] == {"boamp": 2}
    after = Filters(first_seen_from=july, first_seen_before=july + timedelta(days=31))
    assert loaded.count(after) == 1
    before_june = Filters(first_seen_before=june)
    assert loaded.count(before_june) == 0


def test_date_only_deadline_round_trips_as_date(store: NoticeStore) -> None:
    n = notice("x:1", "Avis", deadline=date(2030, 1, 31))
    store.write([n])
    got = store.get("x:1")
    assert got is not None and got.deadline == date(2030, 1, 31)
    assert store.count(Filters(deadline_to=date(2030, 1, 31))) == 1
    assert store.count(Filters(deadline_from=date(2030, 2, 1))) == 0


def test_compact_after_a_large_write_keeps_every_search_result(store: NoticeStore) -> None:
    for one in corpus():  # one write each, then vector updates: several segments on Elasticsearch
        store.write([one])
    store.set_vectors(VECTORS, model="test-model")
    query = vec(1) * 0.9 + vec(0) * 0.1
    query = query / np.linalg.norm(query)

    def results() -> tuple[object, ...]:
        return (
            store.count(),
            store.search_text("nettoyage").uids(),
            store.search_text(THREE, sort=Sort(key=SortKey.DEADLINE)).uids(),
            [(h.notice.uid, round(h.score, 5)) for h in store.search_vector(query).hits],
            store.search_hybrid("nettoyage", vec(1)).uids(),
            store.search_text("", Filters(departments=["59"])).uids(),
            store.facets(),
        )

    before = results()
    assert before[1] == ["boamp:2"] and len(before[3]) == 4
    report = store.compact(changed=100_000)  # a write as large as a national week's
    assert report.outcome in ("merged", "optimized"), report
    if report.outcome == "merged":
        assert report.segments_before is not None and report.segments_before > 1
        assert report.segments_after == 1
    assert results() == before
