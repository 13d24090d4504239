"""The crawl runner: one subprocess per crawl, items back as JSON lines, failures isolated."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from replay import ReplayServer
from replay_sources import FAST, feed_route

from veilleuse.spiders.base import polite_settings
from veilleuse.spiders.runner import CrawlSpec, read_items, run_crawl, run_crawls

HERE = Path(__file__).resolve().parent
FEED = "veilleuse.spiders.sources.feeds:FeedSpider"


def spec(source: str, spider: str, endpoint: str, **overrides: object) -> CrawlSpec:
    return CrawlSpec(
        source,
        spider,
        endpoint,
        fmt="rss",
        since="2020-01-01",
        settings=polite_settings("Veilleuse-test", overrides={**FAST, **overrides}),
    )


def test_polite_settings_are_safe_by_default(tmp_path: Path) -> None:
    values = polite_settings("Veilleuse/0.1", http_cache_dir=Path("relative/cache"))
    assert values["TELNETCONSOLE_ENABLED"] is False
    assert values["REMOTE_CONTROL_ENABLED"] is False
    assert values["ROBOTSTXT_OBEY"] is True and values["AUTOTHROTTLE_ENABLED"] is True
    assert values["CONCURRENT_REQUESTS_PER_DOMAIN"] == 2
    assert values["RETRY_HTTP_CODES"] == [408, 429, 500, 502, 503, 504, 522, 524]
    assert Path(values["HTTPCACHE_DIR"]).is_absolute() and values["HTTPCACHE_ENABLED"] is True
    assert polite_settings("x")["HTTPCACHE_ENABLED"] is False


def test_tldextract_is_configured_offline() -> None:
    from scrapy.downloadermiddlewares import cookies

    from veilleuse.spiders.runner import _offline_tldextract

    _offline_tldextract(None)
    assert cookies._split_domain.suffix_list_urls == ()
    assert cookies._is_public_domain("gouv.fr") is True


def test_read_items_folds_every_kind_and_ignores_a_torn_last_line(tmp_path: Path) -> None:
    out = tmp_path / "items.jsonl"
    lines = [
        {"type": "page", "origin": "http://x/1", "status": 200, "bytes": 10},
        {
            "type": "problem",
            "origin": "http://x/1",
            "reason": "notice without IDWEB",
            "record": "#6",
        },
        {"type": "failure", "origin": "http://x/2", "reason": "HTTP 500"},
        {"type": "state", "etag": '"e"', "last_modified": None},
        {"type": "closed", "reason": "finished"},
    ]
    out.write_text("\n".join(json.dumps(x) for x in lines) + '\n{"type": "noti', encoding="utf-8")
    outcome = read_items(out, "s")
    assert (outcome.pages, outcome.bytes, outcome.finish_reason) == (1, 10, "finished")
    assert str(outcome.problems[0]) == "http://x/1 [#6]: notice without IDWEB"
    assert str(outcome.failures[0]) == "http://x/2: HTTP 500"
    assert outcome.state == {"etag": '"e"', "last_modified": None}


@pytest.mark.integration
def test_a_crashing_child_is_failed_with_its_reason() -> None:
    outcome = run_crawl(
        spec("absent", "veilleuse.spiders.sources.nowhere:Nothing", "http://127.0.0.1:9/")
    )
    assert not outcome.complete and outcome.returncode == 1
    assert outcome.failures[0].reason.startswith(
        "le processus de collecte s'est arrêté (code 1) : "
    )
    assert "ModuleNotFoundError" in outcome.failures[0].reason


@pytest.mark.integration
def test_an_exception_in_a_spider_callback_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))
    with ReplayServer() as server:
        url = feed_route(server)
        outcome = run_crawl(spec("buggy", "broken_spiders:RaisingSpider", url))
    assert not outcome.complete and outcome.pages == 1
    assert outcome.failures[0].reason == (
        "erreur du module de collecte : ValueError: champ inattendu dans la réponse"
    )


@pytest.mark.integration
def test_a_hanging_crawl_is_killed_at_the_timeout() -> None:
    with ReplayServer(hang_s=10) as server:
        url = feed_route(server, faults=["timeout"])
        outcome = run_crawl(spec("slow", FEED, url, DOWNLOAD_TIMEOUT=30), timeout_s=3)
    assert outcome.returncode is None and not outcome.complete
    assert outcome.failures[-1].reason == (
        "la collecte a dépassé le délai maximal de 3 s et a été interrompue"
    )


@pytest.mark.integration
def test_run_crawls_isolates_failures_between_sources() -> None:
    with ReplayServer() as server:
        url = feed_route(server)
        outcomes = run_crawls(
            [spec("good", FEED, url), spec("bad", "no.such.module:Spider", url)], parallel=2
        )
    assert outcomes["good"].complete and len(outcomes["good"].notices) == 4
    assert not outcomes["bad"].complete and outcomes["bad"].notices == []
