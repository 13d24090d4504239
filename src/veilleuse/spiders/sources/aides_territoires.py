"""Aides-territoires: the national catalogue of aids for local projects (API with a token).

Publisher:
    Aides-territoires, a beta.gouv.fr service of the Agence nationale de la cohésion des
    territoires (aids from the State, régions, départements, foundations…).
Access:
    POST `<endpoint>/../connexion/` with the header `X-AUTH-TOKEN: <API token>` returns a short-
    lived bearer token; then GET `<endpoint>` (setting `VEILLEUSE_SOURCES__AIDES_TERRITOIRES_URL`)
    with `Authorization: Bearer …`, following the page's `next` link until it is null. Pages go
    to the `aides_territoires` parser.
Arguments:
    since: keep aids published on or after this day (backfill); else the watermark. until: not
    applied by the API (the whole catalogue is paged).
Caveats:
    The API token (setting `VEILLEUSE_SOURCES__AIDES_TERRITOIRES_TOKEN`) is required: without it
    the source is reported FAILED and not crawled. No server-side date filter is used (none is
    documented in the material available), so each run pages the whole catalogue and keeps what
    was published since the watermark; aids without a publication date are always kept.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urljoin

import scrapy
from scrapy.http import Response

from veilleuse.spiders.base import Paging, VeilleuseSpider


class AidesTerritoiresSpider(VeilleuseSpider):
    name = "aides_territoires"
    fmt = "aides_territoires"
    paging = Paging.NEXT
    filter_by_published = True
    obey_robots = False  # a documented API, not pages for browsers
    bearer: str | None = None

    async def start(self) -> AsyncIterator[scrapy.Request]:
        auth_url = urljoin(self.endpoint, str(self.options.get("auth_path", "../connexion/")))
        yield scrapy.Request(
            auth_url,
            method="POST",
            headers={
                "X-AUTH-TOKEN": str(self.options.get("token") or ""),
                "Accept": "application/json",
            },
            callback=self.authenticated,
            errback=self.failed,
            dont_filter=True,
        )

    def page(self, url: str) -> scrapy.Request:
        return scrapy.Request(
            url,
            headers={"Authorization": f"Bearer {self.bearer}", "Accept": "application/json"},
            callback=self.parse,
            errback=self.failed,
        )

    def authenticated(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        try:
            self.bearer = json.loads(response.body)["token"]
        except (ValueError, KeyError, TypeError):
            yield {
                "type": "failure",
                "origin": response.url,
                "reason": "authentification refusée : pas de jeton dans la réponse",
            }
            return
        yield self.page(self.endpoint)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        yield self.page_item(response)
        yield from self.parse_items(self.payload_bytes(response), response.url)
        try:
            following = json.loads(response.body).get("next")
        except (ValueError, AttributeError, UnicodeDecodeError):
            yield {
                "type": "failure",
                "origin": response.url,
                "reason": "page illisible : les pages suivantes ne sont pas atteintes",
            }
            return
        if following:
            yield self.page(response.urljoin(following))
