"""The payload limit of a live source: a download over `sources.max_payload_mb` (or the
entry's own `max_payload_mb`) is cut by Scrapy and reported as the source's failure, in French,
with the limit and the setting to change."""

from __future__ import annotations

import pytest
from replay import ReplayServer
from replay_sources import FAST, feed_route

from veilleuse.config.settings import Settings
from veilleuse.spiders.base import polite_settings
from veilleuse.spiders.catalogue import SourceEntry
from veilleuse.spiders.collect import crawl_spec
from veilleuse.spiders.runner import CrawlSpec, run_crawl

FEED = "veilleuse.spiders.sources.feeds:FeedSpider"


def entry(**options: object) -> SourceEntry:
    return SourceEntry(
        name="aap",
        kind="feed",  # type: ignore[arg-type]
        publisher="x",
        endpoint="https://x.test/feed",
        schedule="0 6 * * *",
        format="rss",
        spider=FEED,
        options=dict(options),
    )


def test_the_limit_goes_to_each_crawl_from_the_setting_or_the_entry() -> None:
    settings = Settings(sources={"max_payload_mb": 5})
    assert crawl_spec(entry(), settings, {}).settings["DOWNLOAD_MAXSIZE"] == 5_000_000
    own = crawl_spec(entry(max_payload_mb=0.5), settings, {})
    assert own.settings["DOWNLOAD_MAXSIZE"] == 500_000
    assert Settings().sources.max_payload_bytes == 20_000_000


@pytest.mark.integration
def test_a_download_over_the_limit_is_a_failure_of_the_source() -> None:
    with ReplayServer() as server:
        url = feed_route(server)  # 2,365 bytes
        settings = polite_settings("Veilleuse-test", overrides={**FAST, "DOWNLOAD_MAXSIZE": 1000})
        outcome = run_crawl(CrawlSpec("aap", FEED, url, fmt="rss", settings=settings))
    assert outcome.notices == [] and not outcome.complete
    assert [f.reason for f in outcome.failures] == [
        "réponse plus grande que la taille maximale de 0.001 Mo, téléchargement interrompu "
        "(paramètre sources.max_payload_mb)"
    ]
