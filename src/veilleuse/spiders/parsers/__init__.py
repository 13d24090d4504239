"""The parser registry: every recorded or fetched payload goes through `parse_payload`.

Formats are detected by each parser's `sniff` when the source is not named, and text signals
(reserved contracts, social clauses written in prose) are applied to every notice afterwards, so
no parser has to repeat that logic. Every parser is handed out behind the boundary of
`boundary.py` and every payload is first made UTF-8 (`encoding.py`): whatever the bytes, parsing
returns notices and Problems, never an exception.
"""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import Path

from veilleuse.core.errors import ParseError
from veilleuse.core.models import Notice
from veilleuse.spiders.parsers.base import Parser, ParseResult, Problem, describe, read_file
from veilleuse.spiders.parsers.boundary import drop_bad_urls, guarded
from veilleuse.spiders.parsers.encoding import to_utf8

#: module names in detection order (specific formats before generic ones such as RSS)
PARSER_MODULES = (
    "ted_eforms",
    "ted_legacy",
    "ted_api",
    "boamp_xml",
    "boamp_dila_json",
    "boamp_ods",
    "aides_territoires",
    "ademe_agir",
    "manche",
    "idf_aides",
    "culture",
    "welcome_europe",
    "calls_for_projects",
    "decp",
    "rss",
)


@cache
def parsers() -> dict[str, Parser]:
    """Module name → parser object behind the boundary (imported on first use)."""
    found: dict[str, Parser] = {}
    for module in PARSER_MODULES:
        found[module] = guarded(importlib.import_module(f"{__name__}.{module}").PARSER)
    return found


def parser_for(name: str) -> Parser:
    """A parser by module name ('boamp_xml') or by source name ('boamp') when unambiguous."""
    table = parsers()
    if name in table:
        return table[name]
    by_source = [p for p in table.values() if p.name == name]
    if len(by_source) == 1:
        return by_source[0]
    known = ", ".join(sorted(table))
    raise ParseError(name, f"unknown format; known formats: {known}")


def detect(data: bytes, filename: str) -> Parser | None:
    for parser in parsers().values():
        if parser.sniff(data, filename):  # guarded: never raises
            return parser
    return None


def parse_payload(
    data: bytes, origin: str, fmt: str | None = None, source: str | None = None
) -> ParseResult:
    """Parse bytes with the named format (or the detected one), then finish every notice.

    Never raises for any bytes: an unusable encoding, an unknown format or a parser failure is
    a Problem naming `origin`."""
    utf8, problem = to_utf8(data, origin)
    if utf8 is None:
        return ParseResult(problems=[problem] if problem else [])
    parser = parser_for(fmt) if fmt else detect(utf8, origin)
    if parser is None:
        return ParseResult(problems=[Problem(origin, "format not recognised by any parser")])
    result = parser.parse(utf8, origin, source=source)
    finished = ParseResult(problems=list(result.problems))
    pending, result.notices = result.notices, []
    pending.reverse()
    while pending:  # popped one by one: never the parsed and the finished notices both whole
        notice = pending.pop()
        try:
            kept, problems = drop_bad_urls(_with_text_signals(notice), origin)
        except Exception as exc:  # the same boundary for the shared post-processing
            finished.problems.append(Problem(origin, describe(exc), notice.native_id))
            continue
        finished.notices.append(kept.with_hash() if problems else kept)
        finished.problems.extend(problems)
    return finished


def parse_path(
    path: Path, fmt: str | None = None, source: str | None = None, max_bytes: int | None = None
) -> ParseResult:
    """Parse one recorded file; an unreadable, oversized or unknown-format file is a Problem."""
    try:
        data = read_file(path, max_bytes)
        return parse_payload(data, str(path), fmt=fmt, source=source)
    except ParseError as exc:
        return ParseResult(problems=[Problem(exc.origin, exc.reason)])


def _with_text_signals(notice: Notice) -> Notice:
    from veilleuse.core.reserved import apply_text_signals

    return apply_text_signals(notice).with_hash()
