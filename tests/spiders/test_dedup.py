"""Cross-source deduplication on real parsed samples (links set by hand where noted)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from veilleuse.core.models import Buyer, Notice
from veilleuse.spiders.dedup import (
    canonical_url,
    duplicate_rates,
    keys,
    link_duplicates,
    linked_duplicate_rates,
    ted_number,
    title_key,
)
from veilleuse.spiders.parsers import parse_path

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"


def parsed(relative: str) -> list[Notice]:
    result = parse_path(SAMPLES / relative)
    return result.notices


@pytest.fixture(scope="module")
def ted() -> list[Notice]:
    return parsed("ted_api_v3/ted_search_v3_subset.json")


@pytest.fixture(scope="module")
def boamp() -> list[Notice]:
    return parsed("boamp/ods_v21/boamp_records_constructed.json")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("475939-2026", "475939-2026"),
        ("00475939-2026", "475939-2026"),
        ("2026/S 134-475939", "475939-2026"),
        ("16-186394", None),
        ("abc", None),
    ],  # idweb: not TED
)
def test_ted_number_spellings(text: str, expected: str | None) -> None:
    assert ted_number(text) == expected


def test_canonical_url_drops_what_does_not_identify_the_page() -> None:
    assert canonical_url("http://WWW.Carenews.com/appels-a-projet/x/?utm_source=rss#top") == (
        "https://carenews.com/appels-a-projet/x"
    )
    assert canonical_url("https://a.fr/aide?id=3&xtor=RSS-1") == "https://a.fr/aide?id=3"
    assert canonical_url("mailto:x@y.fr") is None and canonical_url(None) is None


def test_title_key_ignores_the_generic_prefix_and_accents() -> None:
    assert (
        title_key("Appel à projets « Alimentation solidaire 2026 »")
        == "alimentation solidaire 2026"
    )
    assert title_key("AAP : Alimentation solidaire 2026") == "alimentation solidaire 2026"


def test_boamp_and_ted_linked_by_ted_publication_number(
    ted: list[Notice], boamp: list[Notice]
) -> None:
    # the BOAMP record is real-shaped; its JOUE reference to the TED notice is added here
    paris = next(n for n in boamp if n.uid == "boamp:16-186394")
    paris = paris.model_copy(update={"identifiers": [*paris.identifiers, "2026/S 134-475939"]})
    linked = {n.uid: n for n in link_duplicates([*ted, paris])}
    assert linked["boamp:16-186394"].also_in == ["ted:475939-2026"]
    assert linked["ted:475939-2026"].also_in == ["boamp:16-186394"]
    assert linked["ted:476004-2026"].also_in == []
    # a new link is a change the store must persist: the content hash moves with it
    assert (
        linked["ted:475939-2026"].content_hash
        != next(n for n in ted if n.uid == "ted:475939-2026").content_hash
    )
    assert (
        linked["ted:475939-2026"].content_hash == linked["ted:475939-2026"].with_hash().content_hash
    )


def test_linked_by_procedure_identifier(boamp: list[Notice]) -> None:
    rehab = next(n for n in boamp if n.uid == "boamp:99-000003")  # contractfolderid …00f3
    eforms = parsed("ted_eforms/cn_24_FRA_comments.xml")[0]
    folder = next(i for i in eforms.identifiers if i.startswith("e3cdabf1"))
    rehab = rehab.model_copy(update={"identifiers": ["99-000003", folder.upper()]})
    linked = {n.uid: n for n in link_duplicates([rehab, eforms])}
    assert linked["boamp:99-000003"].also_in == [eforms.uid]


def test_same_source_is_never_linked_to_itself(boamp: list[Notice]) -> None:
    twin = boamp[0].model_copy(update={"uid": "boamp:other", "native_id": "other"})
    assert [n.also_in for n in link_duplicates([boamp[0], twin])] == [[], []]


def test_funding_calls_linked_by_canonical_url_and_by_title_funder_deadline() -> None:
    carenews = parsed("calls_for_projects/carenews_aap_scraped.json")
    first = carenews[0]
    relay = first.model_copy(
        update={
            "uid": "avise:1",
            "source": "avise",
            "native_id": "1",
            "url": (first.url or "").replace("https://www.", "http://") + "/?utm_medium=rss",
            "identifiers": [],
        }
    )
    funder = Buyer(name="Fondation Exemple (fictive)")
    call = Notice(
        uid="essor:a",
        source="essor",
        native_id="a",
        kind="funding_call",
        title="Appel à projets Alimentation solidaire 2026",
        buyer=funder,
        deadline=date(2026, 2, 27),
    )
    same = call.model_copy(
        update={
            "uid": "at:9",
            "source": "at",
            "native_id": "9",
            "title": "AAP : Alimentation solidaire 2026",
        }
    )
    later = same.model_copy(
        update={"uid": "at:10", "native_id": "10", "deadline": date(2026, 3, 1)}
    )
    linked = {n.uid: n for n in link_duplicates([first, relay, call, same, later])}
    assert linked["avise:1"].also_in == [first.uid]
    assert linked[first.uid].also_in == ["avise:1"]
    assert linked["essor:a"].also_in == ["at:9"]
    assert linked["at:10"].also_in == []
    assert "call:alimentation solidaire 2026|fondation exemple fictive|2026-02-27" in keys(call)


def test_duplicate_rates_per_ordered_pair(ted: list[Notice], boamp: list[Notice]) -> None:
    paris = next(n for n in boamp if n.uid == "boamp:16-186394")
    paris = paris.model_copy(update={"identifiers": [*paris.identifiers, "475939-2026"]})
    others = [n for n in boamp if n.uid != "boamp:16-186394"]
    rates = duplicate_rates([*ted, paris, *others])
    assert rates == {("boamp", "ted"): pytest.approx(1 / 6), ("ted", "boamp"): pytest.approx(1 / 5)}


def test_rates_of_linked_notices_are_counted_in_one_pass(
    ted: list[Notice], boamp: list[Notice]
) -> None:
    """The index stage counts the stored (already linked) notices as they stream by."""
    paris = next(n for n in boamp if n.uid == "boamp:16-186394")
    paris = paris.model_copy(update={"identifiers": [*paris.identifiers, "475939-2026"]})
    others = [n for n in boamp if n.uid != "boamp:16-186394"]
    linked = link_duplicates([*ted, paris, *others])
    once = iter(linked)  # a stream, as the store's iter_notices gives: read once
    assert linked_duplicate_rates(once) == duplicate_rates(linked)
    assert linked_duplicate_rates(linked) == {
        ("boamp", "ted"): pytest.approx(1 / 6),
        ("ted", "boamp"): pytest.approx(1 / 5),
    }
    assert linked_duplicate_rates([]) == {}


def test_store_batches_links_the_run_sources_before_writing(
    tmp_path: Path, ted: list[Notice], boamp: list[Notice]
) -> None:
    from veilleuse.app.context import Context
    from veilleuse.app.index import store_batches
    from veilleuse.config.settings import get_settings
    from veilleuse.records.db import Records
    from veilleuse.search.embedded_store import EmbeddedStore
    from veilleuse.spiders.collect import LiveBatch

    settings = get_settings(data_dir=tmp_path)
    paris = next(n for n in boamp if n.uid == "boamp:16-186394")
    paris = paris.model_copy(update={"identifiers": [*paris.identifiers, "475939-2026"]})
    store = EmbeddedStore(tmp_path / "notices.sqlite3")
    try:
        ctx = Context(settings, records=Records(settings.records_url()), store=store)
        runs = store_batches(
            ctx,
            {"boamp": LiveBatch("boamp", notices=[paris]), "ted": LiveBatch("ted", notices=ted)},
        )
        assert [(r.source, r.new, r.status) for r in runs] == [
            ("boamp", 1, "COMPLETE"),
            ("ted", 5, "COMPLETE"),
        ]
        assert store.get("boamp:16-186394").also_in == ["ted:475939-2026"]
        assert store.get("ted:475939-2026").also_in == ["boamp:16-186394"]
    finally:
        store.close()


def test_store_batches_records_the_duplicate_rates_of_the_store(
    tmp_path: Path, ted: list[Notice], boamp: list[Notice]
) -> None:
    from veilleuse.app.context import Context
    from veilleuse.app.index import store_batches
    from veilleuse.config.settings import get_settings
    from veilleuse.records import sources as source_records
    from veilleuse.records.db import Records
    from veilleuse.search.embedded_store import EmbeddedStore
    from veilleuse.spiders.collect import LiveBatch

    settings = get_settings(data_dir=tmp_path)
    paris = next(n for n in boamp if n.uid == "boamp:16-186394")
    paris = paris.model_copy(update={"identifiers": [*paris.identifiers, "475939-2026"]})
    others = [n for n in boamp if n.uid != "boamp:16-186394"]
    store = EmbeddedStore(tmp_path / "notices.sqlite3")
    try:
        ctx = Context(settings, records=Records(settings.records_url()), store=store)
        store_batches(ctx, {"ted": LiveBatch("ted", notices=ted)})  # last week's run
        assert source_records.duplicate_rates(ctx.records) == {}
        store_batches(ctx, {"boamp": LiveBatch("boamp", notices=[paris, *others])})
        # over every stored notice, not only this run's: the TED one was stored last week
        assert source_records.duplicate_rates(ctx.records) == {
            ("boamp", "ted"): pytest.approx(1 / 6),
            ("ted", "boamp"): pytest.approx(1 / 5),
        }
    finally:
        store.close()


def test_linked_with_a_notice_stored_by_an_earlier_run(
    tmp_path: Path, ted: list[Notice], boamp: list[Notice]
) -> None:
    from veilleuse.app.index import link_across_runs
    from veilleuse.search.embedded_store import EmbeddedStore

    store = EmbeddedStore(tmp_path / "n.sqlite3")
    store.write(ted)  # last week's run
    paris = next(n for n in boamp if n.uid == "boamp:16-186394")
    paris = paris.model_copy(update={"identifiers": [*paris.identifiers, "2026/S 134-475939"]})
    linked, relinked = link_across_runs(store, [paris.with_hash()])
    assert linked["boamp:16-186394"].also_in == ["ted:475939-2026"]
    assert [n.uid for n in relinked] == ["ted:475939-2026"]
    assert relinked[0].also_in == ["boamp:16-186394"]
    store.write(relinked)
    stored = store.get("ted:475939-2026")
    assert stored is not None and stored.also_in == ["boamp:16-186394"]
