"""What every source parser returns, and how a malformed record is reported without losing the rest."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from veilleuse.core.errors import ParseError
from veilleuse.core.models import Notice


@dataclass(frozen=True)
class Problem:
    """A record that was rejected, or kept but only partly read: where it came from and why,
    in words a watch officer reads."""

    origin: str
    reason: str
    record: str | None = None

    def __str__(self) -> str:
        where = f"{self.origin} [{self.record}]" if self.record else self.origin
        return f"{where}: {self.reason}"


@dataclass
class ParseResult:
    notices: list[Notice] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def extend(self, other: ParseResult) -> None:
        self.notices.extend(other.notices)
        self.problems.extend(other.problems)


class Parser(Protocol):
    """A format parser: pure bytes → notices, so files, spiders and tests share one code path."""

    #: format name, also the default `source` part of each uid (e.g. "boamp", "ted")
    name: str

    def sniff(self, data: bytes, filename: str) -> bool:
        """True when `data` looks like this format (used when no --source is given)."""
        ...

    def parse(self, data: bytes, origin: str, source: str | None = None) -> ParseResult:
        """Parse a whole payload; never raises for one bad record, only for an unreadable payload.

        `origin` names the file or URL in problems; `source` overrides `name` as the uid prefix
        (a catalogue feed parsed by a generic parser keeps its own source name)."""
        ...


def collect_records(
    records: Iterable[tuple[str | None, Any]],
    build: Callable[[Any], Notice | None],
    origin: str,
) -> ParseResult:
    """Run `build` on each (record id, record); a failure becomes a Problem, the rest goes on.

    Any exception counts (an overflow in a date, a recursion in a nested tree…): a parser's bug on
    one record costs that record, never the file."""
    result = ParseResult()
    for record_id, record in records:
        try:
            notice = build(record)
        except ParseError as exc:
            result.problems.append(Problem(origin, exc.reason, exc.record or record_id))
            continue
        except Exception as exc:  # the record boundary: one record never stops the others
            result.problems.append(Problem(origin, describe(exc), record_id))
            continue
        if notice is not None:
            result.notices.append(notice.with_hash())
    return result


def describe(exc: BaseException, limit: int = 300) -> str:
    """An exception as one short line for a Problem (a huge value in a message is cut)."""
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def decode_payload(data: bytes, encodings: tuple[str, ...] = ("utf-8-sig", "cp1252")) -> str | None:
    """UTF-8 (BOM tolerated), else cp1252; None when neither decodes.

    French publishers still export Windows-1252: such a payload is read silently (its text is
    then right); only bytes that neither encoding decodes are reported as a Problem.
    """
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


#: longest integer literal read as a number; longer ones (Python refuses > 4300 digits, and no
#: field of a notice needs more than a SIRET's 14) are read as null and reported
MAX_INT_DIGITS = 40


@dataclass
class JsonPayload:
    """A loaded JSON document: `failed` with one Problem when unreadable; otherwise the value
    and the Problems of the values read as null (numbers out of range)."""

    value: Any = None
    problems: list[Problem] = field(default_factory=list)
    failed: bool = False


def load_json(data: bytes, origin: str, *, utf8_only: bool = False) -> JsonPayload:
    """The decoded JSON document, or a Problem naming the origin.

    NaN/Infinity, numbers that overflow a float (`1e999`) and integers longer than
    MAX_INT_DIGITS become None, each counted in one Problem, so one absurd value costs a field,
    not the file. `utf8_only` refuses cp1252 (for APIs whose JSON is UTF-8 by contract)."""
    text = decode_payload(data, ("utf-8-sig",) if utf8_only else ("utf-8-sig", "cp1252"))
    if text is None:
        reason = (
            "not UTF-8 text"
            if utf8_only
            else "undecodable bytes: payload is neither UTF-8 nor cp1252 text"
        )
        return JsonPayload(problems=[Problem(origin, reason)], failed=True)
    dropped: list[str] = []

    def to_int(literal: str) -> int | None:
        if len(literal.lstrip("-")) > MAX_INT_DIGITS:
            dropped.append(f"{len(literal)}-digit integer")
            return None
        return int(literal)

    def to_float(literal: str) -> float | None:
        value = float(literal)
        if value in (float("inf"), float("-inf")):
            dropped.append(f"{literal[:20]} (out of range)")
            return None
        return value

    try:
        value = json.loads(
            text, parse_constant=lambda _: None, parse_int=to_int, parse_float=to_float
        )
    except json.JSONDecodeError as exc:
        reason = f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        return JsonPayload(problems=[Problem(origin, reason)], failed=True)
    except RecursionError:
        return JsonPayload(
            problems=[Problem(origin, "invalid JSON: nested too deeply")], failed=True
        )
    problems = []
    if dropped:
        shown = ", ".join(dropped[:3]) + (
            f" and {len(dropped) - 3} more" if len(dropped) > 3 else ""
        )
        plural = "s" if len(dropped) > 1 else ""
        reason = f"{len(dropped)} number{plural} out of range read as empty: {shown}"
        problems.append(Problem(origin, reason))
    return JsonPayload(value, problems)


def read_file(path: Path, max_bytes: int | None = None) -> bytes:
    """The file's bytes; a file over `max_bytes` is refused after reading one byte more than the
    limit, never loaded whole."""
    try:
        with path.open("rb") as stream:
            data = stream.read() if max_bytes is None else stream.read(max_bytes + 1)
    except OSError as exc:
        raise ParseError(str(path), f"cannot read file: {exc.strerror or exc}") from exc
    if max_bytes is not None and len(data) > max_bytes:
        raise ParseError(str(path), too_large(max_bytes))
    return data


def too_large(max_bytes: int) -> str:
    """The Problem's reason for a payload over the size limit (files and downloads alike)."""
    return (
        f"payload larger than the maximum size of {max_bytes / 1_000_000:g} MB, not read "
        "(setting sources.max_payload_mb)"
    )
