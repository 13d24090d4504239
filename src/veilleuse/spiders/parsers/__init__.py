"""The parser registry: every recorded or fetched payload goes through `parse_payload`.

Formats are detected by each parser's `sniff` when the source is not named, and text signals
(reserved contracts, social clauses written in prose) are applied to every notice afterwards, so
no parser has to repeat that logic.
"""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import Path

from veilleuse.core.errors import ParseError
from veilleuse.core.models import Notice
from veilleuse.spiders.parsers.base import Parser, ParseResult, Problem, read_file

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
    """Module name → parser object (imported on first use, not at import time)."""
    found: dict[str, Parser] = {}
    for module in PARSER_MODULES:
        found[module] = importlib.import_module(f"{__name__}.{module}").PARSER
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
        try:
            if parser.sniff(data, filename):
                return parser
        except (ValueError, UnicodeDecodeError):
            continue
    return None


def parse_payload(
    data: bytes, origin: str, fmt: str | None = None, source: str | None = None
) -> ParseResult:
    """Parse bytes with the named format (or the detected one) and apply text signals."""
    parser = parser_for(fmt) if fmt else detect(data, origin)
    if parser is None:
        return ParseResult(problems=[Problem(origin, "format not recognised by any parser")])
    result = parser.parse(data, origin, source=source)
    result.notices = [_with_text_signals(n) for n in result.notices]
    return result


def parse_path(path: Path, fmt: str | None = None, source: str | None = None) -> ParseResult:
    """Parse one recorded file; an unreadable file is a Problem, not an exception."""
    try:
        data = read_file(path)
    except ParseError as exc:
        return ParseResult(problems=[Problem(exc.origin, exc.reason)])
    return parse_payload(data, str(path), fmt=fmt, source=source)


def _with_text_signals(notice: Notice) -> Notice:
    from veilleuse.core.reserved import apply_text_signals

    return apply_text_signals(notice).with_hash()
