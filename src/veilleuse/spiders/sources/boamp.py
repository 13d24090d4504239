"""BOAMP notices from the DILA open-data API (OpenDataSoft Explore v2.1, dataset `boamp`).

Publisher:
    DILA (Direction de l'information légale et administrative), Bulletin officiel des annonces
    des marchés publics; Licence Ouverte / Etalab.
Access:
    GET `<endpoint>?where=…&order_by=dateparution,idweb&limit=100&offset=…` (setting
    `VEILLEUSE_SOURCES__BOAMP_URL`). The ODSQL `where` bounds `dateparution` to the window
    [since or watermark, until]; pages of 100 records by offset. OpenDataSoft refuses
    offset + limit > 10,000, so a window holding more records is cut in two halves (by date)
    until each half fits. No key needed. Records go to the `boamp_ods` parser.
Arguments:
    since/until: publication days, inclusive (backfill). Without `since`, the stored watermark
    (last publication day seen) starts the window; on a first run, the last 7 days.
Caveats:
    The watermark day is fetched again on the next run (BOAMP publishes during the day; an
    inclusive bound never loses a late notice, the store marks the repeats unchanged). A single
    day with more than 10,000 notices cannot be paged: the first 10,000 are kept and the cut is
    reported. Corrections and cancellations arrive as new notices that point to the original.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from veilleuse.spiders.base import Paging, VeilleuseSpider

#: OpenDataSoft's hard limit on offset + limit for one query
ODS_WINDOW_LIMIT = 10_000


class BoampSpider(VeilleuseSpider):
    name = "boamp"
    fmt = "boamp_ods"
    paging = Paging.OFFSET
    page_size = 100
    obey_robots = False  # a documented API, not pages for browsers

    @property
    def api_limit(self) -> int:
        return int(self.options.get("api_limit", ODS_WINDOW_LIMIT))

    def url(self, start: date, end: date, offset: int, limit: int) -> str:
        where = (
            f"dateparution >= date'{start.isoformat()}' AND dateparution <= date'{end.isoformat()}'"
        )
        query = {"where": where, "order_by": "dateparution,idweb", "limit": limit, "offset": offset}
        return f"{self.endpoint}?{urlencode(query)}"

    def page(self, start: date, end: date, offset: int = 0) -> scrapy.Request:
        limit = min(self.per_page, self.api_limit - offset)
        return scrapy.Request(
            self.url(start, end, offset, limit),
            callback=self.parse,
            errback=self.failed,
            cb_kwargs={"start": start, "end": end, "offset": offset},
        )

    async def start(self) -> AsyncIterator[scrapy.Request]:
        end = self.window_end() or datetime.now(UTC).date()
        yield self.page(self.window_start(), end)

    def parse(
        self, response: Response, start: date, end: date, offset: int, **kwargs: Any
    ) -> Iterator[Any]:
        yield self.page_item(response)
        try:
            total = int(json.loads(response.body).get("total_count", 0))
        except (ValueError, AttributeError, UnicodeDecodeError):
            yield from self.parse_items(self.payload_bytes(response), response.url)  # reports it
            yield {
                "type": "failure",
                "origin": response.url,
                "reason": "page illisible : ses avis et les pages suivantes ne sont pas collectés",
            }
            return
        if offset == 0 and total > self.api_limit and end > start:
            middle = start + timedelta(days=(end - start).days // 2)
            yield self.page(start, middle)
            yield self.page(middle + timedelta(days=1), end)
            return
        yield from self.parse_items(self.payload_bytes(response), response.url)
        if offset == 0:
            if total > self.api_limit:
                yield {
                    "type": "failure",
                    "origin": response.url,
                    "reason": f"{total} avis publiés le {start.isoformat()} : au-delà de "
                    f"{self.api_limit}, la limite de l'API, les suivants ne sont pas collectés",
                }
            for next_offset in range(self.per_page, min(total, self.api_limit), self.per_page):
                yield self.page(start, end, next_offset)
