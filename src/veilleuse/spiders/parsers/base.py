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
    """Run `build` on each (record id, record); a failure becomes a Problem, the rest goes on."""
    result = ParseResult()
    for record_id, record in records:
        try:
            notice = build(record)
        except ParseError as exc:
            result.problems.append(Problem(origin, exc.reason, exc.record or record_id))
            continue
        except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
            result.problems.append(Problem(origin, f"{type(exc).__name__}: {exc}", record_id))
            continue
        if notice is not None:
            result.notices.append(notice.with_hash())
    return result


def decode_payload(data: bytes) -> str | None:
    """UTF-8 (BOM tolerated), else cp1252; None when neither decodes.

    French publishers still export Windows-1252: such a payload is read silently (its text is
    then right); only bytes that neither encoding decodes are reported as a Problem.
    """
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def load_json(data: bytes, origin: str) -> tuple[Any, Problem | None]:
    """The decoded JSON document, or a Problem naming the origin. NaN/Infinity become None."""
    text = decode_payload(data)
    if text is None:
        return None, Problem(origin, "undecodable bytes: payload is neither UTF-8 nor cp1252 text")
    try:
        return json.loads(text, parse_constant=lambda _: None), None
    except json.JSONDecodeError as exc:
        return None, Problem(
            origin, f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        )
    except RecursionError:
        return None, Problem(origin, "invalid JSON: nested too deeply")


def read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ParseError(str(path), f"cannot read file: {exc.strerror or exc}") from exc
