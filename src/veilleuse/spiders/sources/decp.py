"""DECP: awarded public contracts, from the daily files of the consolidated data.gouv.fr dataset.

Publisher:
    Ministère de l'Économie (Bercy), données essentielles de la commande publique consolidées
    (Licence Ouverte); the buyers publish them by law (arrêté of 22 December 2022).
Access:
    GET `<endpoint>` (data.gouv.fr API v1 dataset document) lists the dataset's resources; every
    resource whose title matches `resource_pattern` (daily files `decp-YYYY-MM-DD.json`) and
    whose day falls in the window is fetched and parsed by the `decp` parser. HTTP validators
    are not needed: a daily file never changes once published.
Arguments:
    since/until: days of the daily files, inclusive; else the days after the watermark (the last
    file day read), else the last 7 days.
Caveats:
    Award data, not open tenders: useful for statistics and to see who wins what. The consolidated
    full file (hundreds of MB) is never fetched. Some records are pseudonymised or odd (the
    publishers' own data quality); the parser reports them as Problems.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from datetime import date
from typing import Any

import scrapy
from scrapy.http import Response

from veilleuse.spiders.base import Paging, VeilleuseSpider

DAY = re.compile(r"(\d{4}-\d{2}-\d{2})")


class DecpSpider(VeilleuseSpider):
    name = "decp"
    fmt = "decp"
    paging = Paging.NONE
    obey_robots = False  # a documented API, not pages for browsers

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(
            self.endpoint, callback=self.parse, errback=self.failed, dont_filter=True
        )

    def wanted(self, resources: list[dict[str, Any]]) -> list[tuple[date, str]]:
        pattern = re.compile(
            str(self.options.get("resource_pattern", r"decp-\d{4}-\d{2}-\d{2}\.json$"))
        )
        start, end = self.window_start(), self.window_end()
        # a daily file is complete once published: after a watermark, only later days are new
        strict = self.since is None and bool(self.source_state.get("watermark"))
        found = []
        for resource in resources:
            title = str(resource.get("title") or "")
            day = DAY.search(title)
            if not (pattern.search(title) and day and resource.get("url")):
                continue
            when = date.fromisoformat(day[1])
            if (when > start if strict else when >= start) and (end is None or when <= end):
                found.append((when, str(resource["url"])))
        return sorted(found)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        yield self.page_item(response)
        try:
            resources = list(json.loads(response.body).get("resources") or [])
        except (ValueError, AttributeError, UnicodeDecodeError):
            yield {
                "type": "failure",
                "origin": response.url,
                "reason": "liste des fichiers du jeu de données illisible",
            }
            return
        files = self.wanted(resources)
        for _day, url in files:
            yield scrapy.Request(url, callback=self.parse_file, errback=self.failed)
        if files:
            yield self.state_item(watermark=files[-1][0].isoformat())

    def parse_file(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        yield self.page_item(response)
        yield from self.parse_items(self.payload_bytes(response), response.url)
