"""RSS/Atom feeds of calls for projects, fetched politely and parsed through feedparser.

Publisher:
    Any funder publishing its calls as RSS 2.0, RSS 1.0 or Atom (foundations, ESS networks,
    régions, State services); each catalogue entry of kind `feed` names one.
Access:
    One GET of the feed URL, conditional on the stored validators (`If-None-Match` with the
    last ETag, `If-Modified-Since` with the last Last-Modified): a 304 means nothing new and
    costs no parsing. robots.txt is obeyed. The body goes to the `rss` parser (feedparser).
Arguments:
    endpoint: the feed URL. since: ignore the validators and keep entries published on or after
    this day (backfill). until: not used (a feed only shows its latest entries). Option
    `funder`: the funder of entries whose feed names none (WordPress and SPIP feeds carry no
    channel publisher).
Caveats:
    A feed shows a sliding window of recent entries: a source not collected for longer than that
    window loses entries. Entries published before the watermark are dropped (their content was
    already seen); entries without a date are always kept and deduplicated by content hash.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from veilleuse.core.models import Notice
from veilleuse.spiders.base import Paging, VeilleuseSpider, notice_item


class FeedSpider(VeilleuseSpider):
    name = "feed"
    fmt = "rss"
    paging = Paging.NONE
    filter_by_published = True
    allowed_statuses = (304,)

    def conditional_headers(self) -> dict[str, str]:
        if self.since:  # a backfill asks for the whole feed
            return {}
        headers = {}
        if self.source_state.get("etag"):
            headers["If-None-Match"] = str(self.source_state["etag"])
        if self.source_state.get("last_modified"):
            headers["If-Modified-Since"] = str(self.source_state["last_modified"])
        return headers

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(
            self.endpoint,
            headers=self.conditional_headers(),
            callback=self.parse,
            errback=self.failed,
            dont_filter=True,
        )

    def parse(self, response: Response, **kwargs: Any) -> Iterator[dict[str, Any]]:
        yield self.page_item(response)
        if response.status == 304:
            return
        yield from self.with_funder(self.parse_items(self.payload_bytes(response), response.url))
        yield self.state_item(
            etag=_header(response, b"ETag"), last_modified=_header(response, b"Last-Modified")
        )

    def with_funder(self, items: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Notices without a funder get the catalogue's `funder` option, when it is given."""
        funder = self.options.get("funder")
        for item in items:
            if funder and item.get("type") == "notice" and not item["notice"]["buyer"].get("name"):
                notice = Notice.model_validate(item["notice"])
                buyer = notice.buyer.model_copy(update={"name": str(funder)})
                item = notice_item(notice.model_copy(update={"buyer": buyer}).with_hash())
            yield item


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
