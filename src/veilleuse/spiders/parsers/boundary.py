"""The parser boundary: nothing a parser raises leaves the registry.

Every registered parser is wrapped once (`guarded`), so a new parser is covered without new
code: an exception on a whole payload becomes a Problem for that file (its parser named), a
sniffer that raises just does not claim the payload. Per-record failures are caught one level
down, by `collect_records`. Notices that come out are finished here (`finish`): source URLs that
are not absolute http(s) are dropped, each with a Problem, the notice staying without its link.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from veilleuse.core.models import Notice
from veilleuse.spiders.parsers.base import Parser, ParseResult, Problem, describe


class GuardedParser:
    """A parser whose `sniff` and `parse` never raise (the registry only hands these out)."""

    def __init__(self, inner: Parser) -> None:
        self.inner = inner
        self.name = inner.name

    def sniff(self, data: bytes, filename: str) -> bool:
        try:
            return bool(self.inner.sniff(data, filename))
        except Exception:  # a sniffer that trips on odd bytes just does not claim them
            return False

    def parse(self, data: bytes, origin: str, source: str | None = None) -> ParseResult:
        try:
            result = self.inner.parse(data, origin, source=source)
        except Exception as exc:  # the file boundary: a bug on one file costs that file
            reason = f"{self.inner.name} parser failed on the whole file: {describe(exc)}"
            return ParseResult(problems=[Problem(origin, reason)])
        if not isinstance(result, ParseResult):
            reason = f"{self.inner.name} parser returned {type(result).__name__}, not a result"
            return ParseResult(problems=[Problem(origin, reason)])
        return result


def guarded(parser: Parser) -> GuardedParser:
    return parser if isinstance(parser, GuardedParser) else GuardedParser(parser)


def web_url(value: str | None) -> bool:
    """True for an absolute http(s) URL with a host: the only links a notice may carry."""
    if not value:
        return False
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def drop_bad_urls(notice: Notice, origin: str) -> tuple[Notice, list[Problem]]:
    """The notice without a `javascript:`, `data:` or relative URL (and that URL removed from its
    identifiers), with a Problem naming it; the notice itself is kept."""
    url = notice.url
    if url is None or web_url(url):
        return notice, []
    if not url.strip():
        return notice.model_copy(update={"url": None}), []
    shown = url if len(url) <= 80 else url[:79] + "…"
    problem = Problem(origin, f"link dropped, not an http(s) URL: {shown!r}", notice.native_id)
    identifiers = [i for i in notice.identifiers if i != url]
    return notice.model_copy(update={"url": None, "identifiers": identifiers}), [problem]
