"""The one Scrapy base every Veilleuse source inherits: polite settings, knobs, items, failures.

A source module stays small (a name, a few class-attribute knobs, a request builder and a parse
method) because everything that differs between sources only by degree lives here as a knob:
paging style, date window (`since`/`until`, else the stored watermark), retryable statuses,
forced body encoding, whether robots.txt applies. Spiders never build `Notice` objects
themselves: payload bytes go through the parser registry (`parse_payload`), and what comes out
is yielded as plain JSON-able items (see `runner.py`) so that a crawl can run in a subprocess.

Item shapes (the runner's contract):
  {"type": "notice", "notice": <Notice as JSON>}
  {"type": "problem", "origin": url, "reason": text, "record": id | None}
  {"type": "failure", "origin": url, "reason": text[, "status": int]}   # failed for good
  {"type": "state", "etag": …, "last_modified": …, "watermark": …}
  {"type": "page", "origin": url, "status": int, "bytes": int}
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

import scrapy
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (
    ConnectionLost,
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed

from veilleuse.core.models import Notice
from veilleuse.spiders.parsers import parse_payload
from veilleuse.spiders.parsers.base import Problem

#: HTTP statuses worth a retry (with backoff): rate limiting and server-side trouble only
RETRYABLE_STATUSES = (408, 429, 500, 502, 503, 504, 522, 524)
#: exceptions worth a retry: timeouts only (a refused connection or a bad DNS name will not heal)
RETRYABLE_EXCEPTIONS = (
    "twisted.internet.defer.TimeoutError",
    "twisted.internet.error.TimeoutError",
    "twisted.internet.error.TCPTimedOutError",
)
#: days fetched on a first run when neither `since` nor a watermark is known
DEFAULT_FIRST_WINDOW_DAYS = 7


class Paging(StrEnum):
    """How a source spreads its results over pages."""

    NONE = "none"  # one payload (a feed, a file)
    OFFSET = "offset"  # offset + limit (OpenDataSoft)
    PAGE = "page"  # page number
    NEXT = "next"  # the payload links the next page (DRF `next`)
    TOKEN = "token"  # an opaque continuation token (TED iteration mode)


def polite_settings(
    user_agent: str,
    http_cache_dir: Path | None = None,
    download_timeout: float = 60.0,
    overrides: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Scrapy settings shared by every crawl: polite, quiet, offline-safe.

    Telnet and the remote-control endpoint (Scrapy 2.19, on by default) are off; retries only on
    timeouts/429/5xx, with exponential backoff (`VeilleuseRetryMiddleware`); AutoThrottle and a
    per-domain concurrency of 2; the HTTP cache only when a folder is given (development), always
    as an absolute path.
    """
    values: dict[str, Any] = {
        "USER_AGENT": user_agent,
        "ROBOTSTXT_OBEY": True,
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": 1.0,
        "AUTOTHROTTLE_MAX_DELAY": 30.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
        "CONCURRENT_REQUESTS": 8,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
        "DOWNLOAD_DELAY": 0.5,
        "DOWNLOAD_TIMEOUT": download_timeout,
        "DOWNLOAD_FAIL_ON_DATALOSS": True,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": 3,
        "RETRY_HTTP_CODES": list(RETRYABLE_STATUSES),
        "RETRY_EXCEPTIONS": list(RETRYABLE_EXCEPTIONS),
        "RETRY_BACKOFF_BASE": 1.0,
        "RETRY_BACKOFF_MAX": 60.0,
        "DOWNLOADER_MIDDLEWARES": {
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "veilleuse.spiders.base.VeilleuseRetryMiddleware": 550,
        },
        "LOG_LEVEL": "WARNING",
        "HTTPCACHE_ENABLED": http_cache_dir is not None,
    }
    if http_cache_dir is not None:
        values["HTTPCACHE_DIR"] = str(http_cache_dir.resolve())
        values["HTTPCACHE_IGNORE_HTTP_CODES"] = list(RETRYABLE_STATUSES)
    values.update(overrides or {})
    return values


class VeilleuseRetryMiddleware(RetryMiddleware):
    """Scrapy's retry, waiting base·2ⁿ seconds before retry n (or the server's Retry-After)."""

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 1.0)
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)

    def _delay(self, request: scrapy.Request, response: Response | None) -> float:
        attempt = int(request.meta.get("retry_times", 0))
        delay = self.base * (2**attempt)
        if response is not None and response.status == 429:
            after = response.headers.get(b"Retry-After")
            if after and after.strip().isdigit():
                delay = max(delay, float(after.strip()))
        return min(delay, self.cap)

    async def process_response(  # type: ignore[override]
        self, request: scrapy.Request, response: Response, spider: scrapy.Spider | None = None
    ) -> scrapy.Request | Response:
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        retry = self._retry(request, f"HTTP {response.status}")
        if retry is None:
            return response
        await asyncio.sleep(self._delay(request, response))
        return retry

    async def process_exception(  # type: ignore[override]
        self, request: scrapy.Request, exception: Exception, spider: scrapy.Spider | None = None
    ) -> scrapy.Request | Response | None:
        if request.meta.get("dont_retry") or not isinstance(exception, self.exceptions_to_retry):
            return None
        retry = self._retry(request, exception)
        if retry is None:
            return None
        await asyncio.sleep(self._delay(request, None))
        return retry


def failure_reason(failure: Failure, timeout: float | None = None) -> str:
    """A French sentence for a fetch that failed for good (what a watch officer reads)."""
    exc = failure.value
    if isinstance(exc, HttpError):
        response = exc.response
        return f"HTTP {response.status} après les nouvelles tentatives (réponse refusée)"
    if failure.check(TimeoutError, TCPTimedOutError) or "TimeoutError" in type(exc).__name__:
        limit = f" ({timeout:g} s)" if timeout else ""
        return f"délai de réponse dépassé{limit} après les nouvelles tentatives"
    if failure.check(ResponseFailed, ConnectionLost) or "DataLoss" in type(exc).__name__:
        return "réponse tronquée : la connexion a été coupée avant la fin du contenu"
    if "DownloadCancelled" in type(exc).__name__ and "max size" in str(exc):
        return f"{too_large_fr(exc)} (paramètre sources.max_payload_mb)"
    if failure.check(ConnectionRefusedError):
        return "connexion refusée par le serveur"
    if failure.check(DNSLookupError) or "CannotResolveHost" in type(exc).__name__:
        return "nom de domaine introuvable (DNS)"
    return f"échec du téléchargement : {type(exc).__name__}: {exc}"


def too_large_fr(exc: object) -> str:
    """Scrapy's "larger than download max size (N)" in French, with the limit in MB."""
    limit = re.search(r"max size \((\d+)\)", str(exc))
    size = f" de {int(limit.group(1)) / 1_000_000:g} Mo" if limit else ""
    return f"réponse plus grande que la taille maximale{size}, téléchargement interrompu"


class VeilleuseSpider(scrapy.Spider):
    """Base spider. Subclasses set the knobs below and implement `start_requests`/`parse`."""

    name = "veilleuse"
    #: parser module (or source name) given to `parse_payload`; None = detect
    fmt: ClassVar[str | None] = None
    #: how results are paged (documentation for `veilleuse sources list`, and used by helpers)
    paging: ClassVar[Paging] = Paging.NONE
    #: records asked per page
    page_size: ClassVar[int] = 100
    #: force this encoding for payloads a server mislabels (re-encoded to UTF-8 before parsing)
    encoding: ClassVar[str | None] = None
    #: drop notices published before the window start (for sources that cannot filter by date)
    filter_by_published: ClassVar[bool] = False
    #: obey robots.txt (False only for documented machine APIs)
    obey_robots: ClassVar[bool] = True
    #: non-2xx statuses handed to the callback instead of the errback (e.g. 304)
    allowed_statuses: ClassVar[tuple[int, ...]] = ()

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        """Apply the knobs that are Scrapy settings, at spider priority."""
        super().update_settings(settings)
        settings.set("ROBOTSTXT_OBEY", cls.obey_robots, priority="spider")
        if cls.allowed_statuses:
            settings.set("HTTPERROR_ALLOWED_CODES", list(cls.allowed_statuses), priority="spider")

    def __init__(
        self,
        source: str = "veilleuse",
        endpoint: str = "",
        fmt: str | None = None,
        since: str | None = None,
        until: str | None = None,
        source_state: dict[str, Any] | None = None,
        options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.source = source
        self.endpoint = endpoint
        self.parser_format = fmt or self.fmt
        self.since = date.fromisoformat(since) if since else None
        self.until = date.fromisoformat(until) if until else None
        self.source_state = source_state or {}
        self.options = options or {}
        #: records per page: the class knob, overridable per catalogue entry (`page_size`)
        self.per_page = int(self.options.get("page_size", self.page_size))

    # ------------------------------------------------------------------ the date window

    def window_start(self, today: date | None = None) -> date:
        """`since` when asked (backfill), else the stored watermark, else a short first window."""
        if self.since:
            return self.since
        mark = self.source_state.get("watermark")
        if mark:
            return date.fromisoformat(str(mark)[:10])
        today = today or datetime.now(UTC).date()
        return today - timedelta(
            days=int(self.options.get("first_days", DEFAULT_FIRST_WINDOW_DAYS))
        )

    def window_end(self) -> date | None:
        return self.until

    # ------------------------------------------------------------------ payload → items

    def payload_bytes(self, response: Response) -> bytes:
        if self.encoding:
            return response.body.decode(self.encoding, errors="replace").encode("utf-8")
        return response.body

    def page_item(self, response: Response) -> dict[str, Any]:
        return {
            "type": "page",
            "origin": response.url,
            "status": response.status,
            "bytes": len(response.body),
        }

    def parse_items(
        self, data: bytes, origin: str, fmt: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Run the parser registry on one payload and yield notice/problem items."""
        result = parse_payload(data, origin, fmt=fmt or self.parser_format, source=self.source)
        start = self.window_start() if self.filter_by_published else None
        for notice in result.notices:
            if start and notice.published and notice.published < start:
                continue
            yield notice_item(notice)
        for problem in result.problems:
            yield problem_item(problem)

    def failed(self, failure: Failure) -> Iterator[dict[str, Any]]:
        """Errback of every request: the fetch is reported (source, URL, reason), never raised."""
        request = getattr(failure, "request", None)
        origin = request.url if request is not None else self.endpoint
        timeout = self.settings.getfloat("DOWNLOAD_TIMEOUT") if self.settings else None
        item = {"type": "failure", "origin": origin, "reason": failure_reason(failure, timeout)}
        if isinstance(failure.value, HttpError):
            item["status"] = failure.value.response.status
        yield item

    def state_item(self, **values: str | None) -> dict[str, Any]:
        return {"type": "state", **values}


def notice_item(notice: Notice) -> dict[str, Any]:
    return {"type": "notice", "notice": notice.model_dump(mode="json")}


def problem_item(problem: Problem) -> dict[str, Any]:
    return {
        "type": "problem",
        "origin": problem.origin,
        "reason": problem.reason,
        "record": problem.record,
    }
