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
    Notice,
    NoticeKind,
    NoticeStatus,
    Places,
)
from veilleuse.search.store import DuplicatePolicy, Filters, NoticeStore

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
            buyer=Buyer(name="Ville de Lille", department="59"),
            places=Places(departments=["59"], nuts=["FRE11"]),
            cpv=["77310000"],
            deadline=soon,
            reserved=True,
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
            lots=[
                Lot(id="1", title="Nettoyage des bureaux", cpv=["90911200"]),
                Lot(id="2", title="Lavage des vitres", cpv=["90911300"]),
            ],
        ),
        notice(
            "ted:100-2026",
            "Restauration collective des collèges",
            description="Fourniture de repas en liaison froide pour les collèges.",
            buyer=Buyer(name="Conseil départemental du Nord", department="59"),
            places=Places(departments=["59"]),
            cpv=["55524000"],
            deadline=TODAY - timedelta(days=3),
            status=NoticeStatus.CLOSED,
        ),
        notice(
            "aides-territoires:7",
            "Appel à projets festival de musique solidaire",
            kind=NoticeKind.FUNDING_CALL,
            description="Soutien aux associations culturelles organisant un festival.",
            buyer=Buyer(name="Région Hauts-de-France"),
            places=Places(departments=["80"]),
            audiences=["associations"],
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


def test_date_only_deadline_round_trips_as_date(store: NoticeStore) -> None:
    n = notice("x:1", "Avis", deadline=date(2030, 1, 31))
    store.write([n])
    got = store.get("x:1")
    assert got is not None and got.deadline == date(2030, 1, 31)
    assert store.count(Filters(deadline_to=date(2030, 1, 31))) == 1
    assert store.count(Filters(deadline_from=date(2030, 2, 1))) == 0
