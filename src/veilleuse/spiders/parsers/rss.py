"""RSS 2.0 / Atom / RSS 1.0 feeds of calls for projects → funding-call notices (via feedparser).

Generic: a sources catalogue passes `source=<feed name>` so each feed keeps its own uid prefix.
native_id is a stable hash of the entry's guid/id, else its link, else title + date, so a feed
that rewrites its items keeps the same uids. The deadline is read from the French text
(`deadline_from_text`); the funder is the feed's publisher (dc:publisher) or author; entry
categories that name a département, region or known audience fill places and audiences.
Malformed ("bozo") feeds: feedparser still yields what it could read; the error is reported as a
Problem naming the origin and those entries are kept.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import feedparser

from veilleuse.core.errors import ParseError
from veilleuse.core.models import Buyer, Notice, Places
from veilleuse.core.normalise import clean_text
from veilleuse.spiders.parsers.base import ParseResult, Problem, collect_records
from veilleuse.spiders.parsers.funding_common import (
    AUDIENCES,
    clean_url,
    deadline_from_text,
    departments_from_places,
    funding_notice,
    join_text,
    normalise_audiences,
    stable_id,
)

SOURCE = "rss"
_ROOT = re.compile(rb"<(rss|rdf:RDF)\b|<feed\b[^>]*http://www\.w3\.org/2005/Atom", re.S)


def _day(text: object) -> date | None:
    """The calendar day a feed date names, as written (not shifted to UTC)."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        return parsedate_to_datetime(text).date()  # RFC 822 (RSS)
    except (TypeError, ValueError, IndexError):
        pass
    try:
        return datetime.fromisoformat(text.strip().replace("Z", "+00:00")).date()  # Atom
    except ValueError:
        return None


def _published(entry: Any) -> date | None:
    for key in ("published", "updated", "created"):
        found = _day(entry.get(key))
        if found:
            return found
    for key in ("published_parsed", "updated_parsed"):
        parsed = entry.get(key)
        if parsed:
            return date(parsed.tm_year, parsed.tm_mon, parsed.tm_mday)
    return None


def _funder(feed: Any) -> str | None:
    for key in ("publisher_detail", "author_detail"):
        detail = feed.get(key)
        if detail and clean_text(detail.get("name")):
            return clean_text(detail.get("name"))
    return clean_text(feed.get("publisher"))


def _language(feed: Any) -> str:
    code = clean_text(feed.get("language")) or "fr"
    return code.split("-")[0].split("_")[0].lower()


def _summary(entry: Any) -> str | None:
    contents = entry.get("content") or []
    content = contents[0].get("value") if contents else None
    return clean_text(entry.get("summary")) or clean_text(content)


def build(entry: Any, feed: Any, source: str) -> Notice:
    title = clean_text(entry.get("title"))
    link = clean_url(entry.get("link"))
    key = (
        clean_text(entry.get("id"))
        or link
        or (f"{title}|{entry.get('published', '')}" if title else None)
    )
    if not key:
        raise ParseError("", "entry has no id, link or title")
    summary = _summary(entry)
    terms = [clean_text(tag.get("term")) for tag in entry.get("tags") or []]
    terms = [t for t in terms if t]
    return funding_notice(
        source,
        stable_id(key),
        title,
        description=summary,
        url=link,
        language=_language(feed),
        buyer=Buyer(name=_funder(feed)),
        published=_published(entry),
        deadline=deadline_from_text(join_text(title, summary)),
        places=Places(departments=departments_from_places(terms)),
        audiences=[a for a in normalise_audiences(terms) if a in AUDIENCES],
        identifiers=[link] if link else [],
        raw={k: v for k, v in entry.items() if not k.endswith("_parsed")},
    )


class RssParser:
    name = SOURCE

    def sniff(self, data: bytes, filename: str) -> bool:
        return bool(_ROOT.search(data[:2048]))

    def parse(self, data: bytes, origin: str, source: str | None = None) -> ParseResult:
        src = source or self.name
        parsed = feedparser.parse(io.BytesIO(data))  # a stream: never read as a path or URL
        problems: list[Problem] = []
        if parsed.get("bozo"):
            exc = parsed.get("bozo_exception")
            problems.append(Problem(origin, f"malformed feed: {type(exc).__name__}: {exc}"))
        if not parsed.get("version") and not parsed.entries:
            if not problems:
                problems.append(Problem(origin, "not an RSS or Atom feed"))
            return ParseResult(problems=problems)
        entries = parsed.pop("entries", [])
        entries.reverse()

        def records() -> Iterator[tuple[str, Any]]:
            """Entries handed over one by one and dropped once built (a big feed is not held
            twice: as feedparser's entries and as notices)."""
            index = 0
            while entries:
                entry = entries.pop()
                yield (
                    clean_text(entry.get("id")) or clean_text(entry.get("link")) or f"#{index}",
                    entry,
                )
                index += 1

        result = collect_records(records(), lambda e: build(e, parsed.feed, src), origin)
        result.problems[:0] = problems
        return result


PARSER = RssParser()
