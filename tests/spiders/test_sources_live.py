"""Every live spider and feed against a real HTTP server on 127.0.0.1 (Scrapy does real HTTP).

Each crawl runs in its own subprocess through `run_crawl`, exactly as in production. Checked:
exact fields of the notices, paging, the date window sent to the API, incremental runs (a second
run brings nothing new), and every scripted fault reported with its source and reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from replay import ReplayServer
from replay_sources import (
    AT_API_TOKEN,
    ESSOR_OPTIONS,
    FAST,
    FEED_ETAG,
    aides_territoires_routes,
    boamp_records,
    boamp_route,
    decp_routes,
    essor_routes,
    feed_route,
    ted_routes,
)

from veilleuse.app import index as app_index
from veilleuse.app.context import Context
from veilleuse.config.settings import Settings, get_settings
from veilleuse.core.models import NoticeStatus
from veilleuse.records import sources as source_records
from veilleuse.records.db import Records
from veilleuse.search.embedded_store import EmbeddedStore
from veilleuse.spiders.base import polite_settings
from veilleuse.spiders.catalogue import SourceEntry, SourceKind
from veilleuse.spiders.collect import collect_live, live_status
from veilleuse.spiders.runner import CrawlOutcome, CrawlSpec, run_crawl

pytestmark = pytest.mark.integration

SPIDERS = {
    "boamp": "veilleuse.spiders.sources.boamp:BoampSpider",
    "ted": "veilleuse.spiders.sources.ted:TedSpider",
    "aides-territoires": "veilleuse.spiders.sources.aides_territoires:AidesTerritoiresSpider",
    "decp": "veilleuse.spiders.sources.decp:DecpSpider",
    "feed": "veilleuse.spiders.sources.feeds:FeedSpider",
    "html": "veilleuse.spiders.sources.html_listing:HtmlListingSpider",
}
FORMATS = {
    "boamp": "boamp_ods",
    "ted": "ted_api",
    "aides-territoires": "aides_territoires",
    "decp": "decp",
    "feed": "rss",
    "html": "calls_for_projects",
}
PARIS_WINTER = timezone(timedelta(hours=1))


def store_batches(
    settings: Any, records: Any, batches: Any, store: Any, **kwargs: Any
) -> list[Any]:
    """The index use case over this test's own store and records."""
    return app_index.store_batches(
        Context(settings, records=records, store=store), batches, **kwargs
    )


def crawl(
    kind: str,
    endpoint: str,
    source: str | None = None,
    since: str | None = None,
    until: str | None = None,
    state: dict[str, Any] | None = None,
    options: dict[str, Any] | None = None,
    **overrides: Any,
) -> CrawlOutcome:
    spec = CrawlSpec(
        source=source or kind,
        spider=SPIDERS[kind],
        endpoint=endpoint,
        fmt=FORMATS[kind],
        since=since,
        until=until,
        state=state or {},
        options=options or {},
        settings=polite_settings("Veilleuse-test/1.0", overrides={**FAST, **overrides}),
    )
    return run_crawl(spec, timeout_s=120)


def by_uid(outcome: CrawlOutcome) -> dict[str, Any]:
    return {n.uid: n for n in outcome.notices}


# --------------------------------------------------------------------------- BOAMP


def test_boamp_backfill_pages_with_the_date_window_and_exact_fields() -> None:
    with ReplayServer() as server:
        url = boamp_route(server, boamp_records())
        out = crawl("boamp", url, since="2017-01-01", until="2024-12-31", options={"page_size": 2})
        hits = server.hits_on("/boamp/records")
    assert out.complete, out.failures
    assert sorted(h.query["offset"] for h in hits) == ["0", "2", "4", "6"]
    assert all(h.query["limit"] == "2" for h in hits)
    assert hits[0].query["where"] == (
        "dateparution >= date'2017-01-01' AND dateparution <= date'2024-12-31'"
    )
    assert hits[0].query["order_by"] == "dateparution,idweb"
    notices = by_uid(out)
    assert sorted(notices) == [
        "boamp:16-186394",
        "boamp:99-000002",
        "boamp:99-000003",
        "boamp:99-000004",
        "boamp:99-000005",
        "boamp:99-000007",
    ]
    paris = notices["boamp:16-186394"]
    assert (
        paris.title
        == "2016 DFA 167 - Prestations de remorquage pour les véhicules de la ville de Paris"
    )
    assert paris.buyer.name == "Ville de Paris"
    assert paris.published == date(2017, 1, 1)
    assert paris.deadline == datetime(2017, 2, 7, 12, 0, tzinfo=PARIS_WINTER)
    assert len(paris.lots) == 2
    assert notices["boamp:99-000005"].status is NoticeStatus.CANCELLED
    reasons = sorted(p.reason for p in out.problems)
    assert reasons[0].startswith("'donnees' is not valid JSON")
    assert reasons[1] == "notice without IDWEB"
    assert all(p.origin.startswith(url) for p in out.problems)


def test_boamp_cuts_a_window_larger_than_the_api_limit() -> None:
    with ReplayServer() as server:
        url = boamp_route(server, boamp_records(), api_limit=4)
        out = crawl(
            "boamp",
            url,
            since="2017-01-01",
            until="2024-12-31",
            options={"page_size": 2, "api_limit": 4},
        )
        hits = server.hits_on("/boamp/records")
    assert out.complete, out.failures
    assert len(out.notices) == 6
    assert all(int(h.query["offset"]) + int(h.query["limit"]) <= 4 for h in hits)
    windows = {h.query["where"] for h in hits}
    assert "dateparution >= date'2017-01-01' AND dateparution <= date'2020-12-31'" in windows


def test_boamp_without_since_starts_at_the_watermark() -> None:
    with ReplayServer() as server:
        url = boamp_route(server, boamp_records())
        out = crawl("boamp", url, state={"watermark": "2024-02-01"})
        where = server.hits_on("/boamp/records")[0].query["where"]
    assert where.startswith("dateparution >= date'2024-02-01' AND dateparution <= date'")
    assert [n.uid for n in out.notices] == ["boamp:99-000003"]


def test_boamp_429_then_ok_is_retried_and_complete() -> None:
    with ReplayServer() as server:
        url = boamp_route(server, boamp_records(), faults=["429", "503"])
        out = crawl("boamp", url, since="2017-01-01", until="2024-12-31")
        hits = server.hits_on("/boamp/records")
    assert out.complete and len(out.notices) == 6
    assert len(hits) == 3  # 429, 503, then the page


def test_boamp_invalid_json_page_is_a_failure_with_its_url() -> None:
    with ReplayServer() as server:
        url = boamp_route(server, boamp_records(), faults=["cut-json"])
        out = crawl("boamp", url, since="2017-01-01", until="2024-12-31")
    assert not out.complete and out.notices == []
    assert out.failures[0].origin.startswith(url)
    assert out.failures[0].reason.startswith("page illisible")
    assert out.problems[0].reason.startswith("invalid JSON")


def test_boamp_persistent_500_reports_the_status() -> None:
    with ReplayServer() as server:
        url = boamp_route(server, boamp_records(), faults=["500"] * 3)
        out = crawl("boamp", url, since="2017-01-01")
    assert not out.complete and out.notices == []
    assert out.failures[0].reason == "HTTP 500 après les nouvelles tentatives (réponse refusée)"


# --------------------------------------------------------------------------- TED


def test_ted_iterates_search_pages_then_reads_each_eforms_xml() -> None:
    with ReplayServer() as server:
        url = ted_routes(server, per_page=2)
        out = crawl("ted", url, since="2026-07-01", until="2026-07-31", options={"page_size": 2})
        searches = [h.json() for h in server.hits_on("/ted/search")]
        xml_hits = [h.path for h in server.hits if h.path.startswith("/ted/notice/")]
    assert out.complete, out.failures
    assert [s.get("iterationNextToken") for s in searches] == [None, "2", "4"]
    assert searches[0]["query"] == (
        "(place-of-performance IN (FRA) OR buyer-country IN (FRA))"
        " AND publication-date>=20260701 AND publication-date<=20260731"
    )
    assert searches[0]["paginationMode"] == "ITERATION" and searches[0]["limit"] == 2
    assert len(xml_hits) == 5
    notices = by_uid(out)
    assert sorted(notices) == [
        "ted:475939-2026",
        "ted:476004-2026",
        "ted:476630-2026",
        "ted:476633-2026",
        "ted:476651-2026",
    ]
    rouen = notices["ted:475939-2026"]
    assert rouen.native_id == "475939-2026"
    assert rouen.buyer.name == "Rouen Habitat"
    assert rouen.title.startswith("Service d'entretien de remise en état et de nettoyage des es")
    assert rouen.deadline == datetime(2019, 6, 24, 16, 0, tzinfo=UTC)
    assert "475939-2026" in rouen.identifiers
    assert "da4d46e9-490b-41ff-a2ae-8166d356a619" in rouen.identifiers


def test_ted_xml_failure_keeps_the_search_notice_and_reports_it() -> None:
    with ReplayServer() as server:
        url = ted_routes(server, per_page=5, xml_faults={"476651-2026": ["500"] * 3})
        out = crawl("ted", url, since="2026-07-01", until="2026-07-31")
    notices = by_uid(out)
    assert len(notices) == 5
    assert notices["ted:476651-2026"].title.startswith("Suède – Distributeurs de boissons")
    assert not out.complete
    assert [f.origin for f in out.failures] == [server.url("/ted/notice/476651-2026/xml")]
    assert out.failures[0].reason.startswith("HTTP 500")


# --------------------------------------------------------------------------- Aides-territoires


def test_aides_territoires_token_then_next_pages() -> None:
    with ReplayServer() as server:
        url = aides_territoires_routes(server)
        out = crawl(
            "aides-territoires",
            url,
            since="2020-01-01",
            options={"token": AT_API_TOKEN, "auth_path": "../connexion/"},
        )
        auth = server.hits_on("/at/connexion/")
        pages = server.hits_on("/at/aids/")
    assert out.complete, out.failures
    assert auth[0].method == "POST" and auth[0].headers["x-auth-token"] == AT_API_TOKEN
    assert [h.query.get("page") for h in pages] == [None, "2"]
    notices = by_uid(out)
    assert sorted(notices) == ["aides-territoires:162", "aides-territoires:338"]
    aid = notices["aides-territoires:162"]
    assert aid.title == "Développement d’une alimentation de proximité"
    assert aid.buyer.name == "Chambre d’agriculture de la Drôme"
    assert aid.kind.value == "funding_call"


def test_aides_territoires_wrong_token_is_reported() -> None:
    with ReplayServer() as server:
        url = aides_territoires_routes(server)
        out = crawl("aides-territoires", url, options={"token": "mauvais"})
    assert out.notices == [] and not out.complete
    assert out.failures[0].origin == server.url("/at/connexion/")
    assert out.failures[0].reason.startswith("HTTP 401")


# --------------------------------------------------------------------------- DECP


def test_decp_reads_the_daily_files_of_the_window_then_only_later_ones() -> None:
    with ReplayServer() as server:
        url = decp_routes(server)
        first = crawl("decp", url, since="2024-03-01")
        second = crawl("decp", url, state={"watermark": first.state["watermark"]})
        files = [h.path for h in server.hits if h.path.startswith("/decp/files/")]
    assert first.complete and first.state["watermark"] == "2024-03-02"
    assert sorted(files) == [  # first run: the window's two files; second run: none
        "/decp/files/decp-2024-03-01.json",
        "/decp/files/decp-2024-03-02.json",
    ]
    assert len(first.notices) == 6
    lasat = by_uid(first)["decp:200013183000212018MAPA20180500"]
    assert lasat.title == "FOURNITURE D'UN AUTOMATE DE SET UP PCR"
    assert lasat.buyer.name == "LASAT"
    assert second.complete and second.notices == [] and second.pages == 1


def test_decp_unreadable_file_is_a_problem_and_the_other_file_comes_through() -> None:
    with ReplayServer() as server:
        url = decp_routes(server, file_faults={"decp-2024-03-01.json": ["garbage"]})
        out = crawl("decp", url, since="2024-03-01")
    assert [n.uid for n in out.notices] == ["decp:200013183000212018MAPA20180500"]
    assert out.problems[0].origin == server.url("/decp/files/decp-2024-03-01.json")


# --------------------------------------------------------------------------- feeds


def test_feed_exact_fields_then_304_on_the_second_run() -> None:
    with ReplayServer() as server:
        url = feed_route(server)
        first = crawl("feed", url, source="fonds-exemple", since="2020-01-01")
        second = crawl("feed", url, source="fonds-exemple", state=dict(first.state))
        conditional = server.hits_on("/feeds/appels_a_projets_rss2.xml")[-1].headers
    assert first.complete and first.state["etag"] == FEED_ETAG
    titles = sorted(n.title for n in first.notices)
    assert titles == [
        "Appel à projets « Alimentation solidaire 2026 »",
        "Fonds d'urgence pour les associations sportives",
        "Mobilité inclusive : soutien aux garages solidaires",
        "Tiers-lieux & culture en milieu rural",
    ]
    food = next(n for n in first.notices if n.title.startswith("Appel à projets « Alim"))
    assert food.uid.startswith("fonds-exemple:")
    assert food.deadline == date(2026, 3, 15) and food.published == date(2026, 1, 12)
    assert conditional["if-none-match"] == FEED_ETAG
    assert second.complete and second.notices == [] and second.pages == 1


def test_feed_keeps_only_entries_since_the_watermark_when_it_changed() -> None:
    with ReplayServer() as server:
        url = feed_route(server)
        out = crawl("feed", url, state={"watermark": "2026-01-13", "etag": '"old"'})
    assert sorted(n.published.isoformat() for n in out.notices if n.published) == [
        "2026-01-16",
        "2026-02-02",
    ]


def test_atom_feed() -> None:
    with ReplayServer() as server:
        url = feed_route(server, "appels_a_projets_atom.xml")
        out = crawl("feed", url, since="2020-01-01")
    assert out.complete and len(out.notices) == 2


def test_feed_timeout_is_reported_with_the_limit() -> None:
    with ReplayServer(hang_s=2) as server:
        url = feed_route(server, faults=["timeout"] * 3)
        out = crawl("feed", url, since="2020-01-01")
    assert out.notices == [] and not out.complete
    assert out.failures[0].origin == url
    assert out.failures[0].reason == "délai de réponse dépassé (1 s) après les nouvelles tentatives"


def test_feed_truncated_body_is_reported() -> None:
    with ReplayServer() as server:
        url = feed_route(server, faults=["truncate"])
        out = crawl("feed", url, since="2020-01-01")
    assert out.notices == [] and not out.complete
    assert out.failures[0].reason.startswith("réponse tronquée")


def test_feed_in_latin1_behind_a_utf8_header_still_yields_entries() -> None:
    with ReplayServer() as server:
        url = feed_route(server, faults=["latin1"])
        out = crawl("feed", url, since="2020-01-01")
    assert len(out.notices) == 4
    assert any("Alimentation solidaire" in n.title for n in out.notices)


# --------------------------------------------------------------------------- HTML listings


def test_html_listing_reads_blocks_and_follows_the_next_page() -> None:
    with ReplayServer() as server:
        url = essor_routes(server)
        out = crawl("html", url, source="essor-pays-de-la-loire", options=ESSOR_OPTIONS)
        paths = [h.path for h in server.hits]
    assert out.complete, out.failures
    assert paths == ["/robots.txt", "/essor/projets.html", "/projets-2.html"]
    notices = {n.title: n for n in out.notices}
    assert sorted(notices) == [
        "Appel à projets Alimentation solidaire 2026",
        "Fonds pour le développement de la vie associative 2026",
        "Mobilité inclusive en milieu rural",
    ]
    food = notices["Appel à projets Alimentation solidaire 2026"]
    assert food.uid == "essor-pays-de-la-loire:appel-a-projets-alimentation-solidaire--p3001.html"
    assert food.deadline == date(2026, 2, 27)
    assert food.buyer.name == "Fondation Exemple pour l'alimentation (fictive)"
    assert food.url == server.url("/appel-a-projets-alimentation-solidaire--p3001.html")
    assert notices["Mobilité inclusive en milieu rural"].deadline == date(2026, 4, 1)


def test_html_listing_whose_selector_matches_nothing_is_a_failure() -> None:
    with ReplayServer() as server:
        url = essor_routes(server)
        out = crawl("html", url, options={**ESSOR_OPTIONS, "item": ".carte-appel"})
    assert out.notices == [] and not out.complete
    assert out.failures[0].reason.startswith("aucun appel trouvé")


# --------------------------------------------------------------------------- collect_live


def entry(name: str, kind: str, endpoint: str, **options: Any) -> SourceEntry:
    kinds = {
        "boamp": SourceKind.API,
        "ted": SourceKind.API,
        "feed": SourceKind.FEED,
        "html": SourceKind.HTML,
        "aides-territoires": SourceKind.API,
        "decp": SourceKind.API,
    }
    return SourceEntry(
        name=name,
        kind=kinds[kind],
        publisher="test",
        endpoint=endpoint,
        schedule="0 6 * * 1",
        format=FORMATS[kind],
        spider=SPIDERS[kind],
        options=options,
    )


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[Settings, Records, EmbeddedStore]]:
    settings = get_settings(data_dir=tmp_path)
    store = EmbeddedStore(tmp_path / "notices.sqlite3")
    yield settings, Records(settings.records_url()), store
    store.close()


def test_incremental_runs_store_then_take_only_what_is_new(live: Any) -> None:
    settings, records, store = live
    with ReplayServer() as server:
        catalogue = [entry("boamp", "boamp", boamp_route(server, boamp_records()))]
        first = collect_live(
            settings, records, since=date(2023, 1, 1), catalogue=catalogue, scrapy_overrides=FAST
        )
        runs1 = store_batches(settings, records, first, store=store)
        assert source_records.get_source_state(records, "boamp")["watermark"] == "2024-02-01"
        second = collect_live(settings, records, catalogue=catalogue, scrapy_overrides=FAST)
        runs2 = store_batches(settings, records, second, store=store)
        where = server.hits_on("/boamp/records")[-1].query["where"]
    assert (runs1[0].new, runs1[0].unchanged, runs1[0].rejected) == (5, 0, 2)
    assert runs1[0].status == "DEGRADED"
    assert where.startswith("dateparution >= date'2024-02-01'")
    assert (runs2[0].fetched, runs2[0].new, runs2[0].updated, runs2[0].unchanged) == (1, 0, 0, 1)
    assert runs2[0].status == "COMPLETE"
    assert [r.status for r in source_records.last_source_runs(records)] == ["COMPLETE"]


def test_a_cancellation_marks_the_stored_notice_it_amends(live: Any) -> None:
    settings, records, store = live
    with ReplayServer() as server:
        catalogue = [entry("boamp", "boamp", boamp_route(server, boamp_records(True)))]
        store_batches(
            settings,
            records,
            collect_live(
                settings,
                records,
                since=date(2023, 6, 1),
                until=date(2023, 6, 1),
                catalogue=catalogue,
                scrapy_overrides=FAST,
            ),
            store=store,
        )
        assert store.get("boamp:99-000002").status is NoticeStatus.CLOSED  # deadline passed
        runs = store_batches(
            settings,
            records,
            collect_live(
                settings,
                records,
                since=date(2024, 2, 1),
                until=date(2024, 2, 1),
                catalogue=catalogue,
                scrapy_overrides=FAST,
            ),
            store=store,
        )
    assert store.get("boamp:99-000009").status is NoticeStatus.CANCELLED
    assert store.get("boamp:99-000002").status is NoticeStatus.CANCELLED
    assert runs[0].updated == 1
    assert store.count() == 3  # nothing deleted
    assert (
        source_records.get_source_state(records, "boamp").get("watermark") is None
    )  # backfill with until


def test_one_failing_source_never_stops_the_others(live: Any) -> None:
    settings, records, store = live
    with ReplayServer(hang_s=2) as server:
        catalogue = [
            entry("boamp", "boamp", boamp_route(server, boamp_records())),
            entry("ted", "ted", ted_routes(server, search_faults=["500"] * 3)),
            entry("fonds-exemple", "feed", feed_route(server, faults=["timeout"] * 3)),
            entry("essor-pays-de-la-loire", "html", essor_routes(server), **ESSOR_OPTIONS),
        ]
        batches = collect_live(
            settings,
            records,
            since=date(2017, 1, 1),
            catalogue=catalogue,
            scrapy_overrides=FAST,
            parallel=2,
        )
        runs = {r.source: r for r in store_batches(settings, records, batches, store=store)}
    assert {s: r.status for s, r in runs.items()} == {
        "boamp": "DEGRADED",
        "essor-pays-de-la-loire": "COMPLETE",
        "fonds-exemple": "FAILED",
        "ted": "FAILED",
    }
    assert runs["ted"].problems == [
        f"{server.url('/ted/search')}: HTTP 500 après les nouvelles tentatives (réponse refusée)"
    ]
    assert (
        runs["fonds-exemple"]
        .problems[0]
        .endswith("délai de réponse dépassé (1 s) après les nouvelles tentatives")
    )
    assert runs["boamp"].new == 6 and runs["essor-pays-de-la-loire"].new == 3
    assert store.count() == 9
    assert source_records.get_source_state(records, "ted") == {}
    assert source_records.get_source_state(records, "fonds-exemple") == {}
    assert (
        source_records.get_source_state(records, "essor-pays-de-la-loire") == {}
    )  # no dates on the page


def test_a_missing_token_fails_the_source_without_crawling(live: Any) -> None:
    settings, records, _ = live
    catalogue = [
        entry(
            "aides-territoires",
            "aides-territoires",
            "http://127.0.0.1:9/api/aids/",
            token="setting:sources.aides_territoires_token",
        )
    ]
    batches = collect_live(settings, records, catalogue=catalogue)
    batch = batches["aides-territoires"]
    assert live_status(batch) == "FAILED"
    assert str(batch.problems[0]) == (
        "aides-territoires: paramètre secret absent : VEILLEUSE_SOURCES__AIDES_TERRITOIRES_TOKEN"
        " (source non collectée)"
    )


def test_dry_run_moves_no_watermark(live: Any) -> None:
    settings, records, _ = live
    with ReplayServer() as server:
        catalogue = [entry("boamp", "boamp", boamp_route(server, boamp_records()))]
        batches = collect_live(
            settings,
            records,
            since=date(2023, 1, 1),
            dry_run=True,
            catalogue=catalogue,
            scrapy_overrides=FAST,
        )
    assert len(batches["boamp"].notices) == 5
    assert source_records.get_source_state(records, "boamp") == {}
