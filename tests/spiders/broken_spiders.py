"""Spiders that misbehave on purpose, for the runner's failure-isolation tests (child-side)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy

from veilleuse.spiders.base import VeilleuseSpider


class RaisingSpider(VeilleuseSpider):
    """Fetches its endpoint, then its callback raises (a bug in a source module)."""

    name = "raising"
    obey_robots = False

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(self.endpoint, callback=self.parse, errback=self.failed)

    def parse(self, response: Any, **kwargs: Any) -> Iterator[Any]:
        yield self.page_item(response)
        raise ValueError("champ inattendu dans la réponse")
