"""Property: for every registered parser, a mutated real sample gives notices and Problems —
never an exception, never a hang — and whatever comes out can be staged and carries only
http(s) links. Bounded in CI by the `ci` Hypothesis profile; `make fuzz` runs the long one."""

from __future__ import annotations

import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fuzz_mutations import CASES, mutated
from hostile_payloads import samples_by_parser
from hypothesis import given

from veilleuse.core.models import Notice
from veilleuse.spiders.parsers import PARSER_MODULES, parse_payload
from veilleuse.spiders.parsers.base import ParseResult, Problem
from veilleuse.spiders.parsers.boundary import web_url

pytestmark = pytest.mark.fuzz

#: longest a single case may take before it counts as a hang (a loaded 2-core machine)
CASE_SECONDS = 20


class CaseTimeout(BaseException):
    """Raised by the alarm: a BaseException, so the parser boundary cannot swallow it."""


@contextmanager
def bounded(seconds: int) -> Iterator[None]:
    def ring(signum: int, frame: object) -> None:
        raise CaseTimeout(f"parsing took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def check(module: str, data: bytes, detect: bool) -> None:
    origin = f"fuzz/{module}"
    try:
        with bounded(CASE_SECONDS):
            result = parse_payload(data, origin, fmt=None if detect else module)
        assert isinstance(result, ParseResult)
        assert all(isinstance(p, Problem) and p.origin == origin for p in result.problems)
        for notice in result.notices:
            assert isinstance(notice, Notice)
            Notice.model_validate_json(notice.model_dump_json())  # staged, then read back
            assert notice.url is None or web_url(notice.url)
    except BaseException:
        kept = Path(tempfile.mkdtemp(prefix="veilleuse-fuzz-")) / f"{module}.bin"
        kept.write_bytes(data)
        print(f"failing payload kept in {kept} ({len(data)} bytes, detect={detect})")
        raise
    CASES[module] += 1


@pytest.mark.parametrize("module", PARSER_MODULES)
def test_mutated_samples_never_raise(module: str) -> None:
    samples = samples_by_parser()[module]
    assert samples, f"no real sample for the {module} parser"

    @given(data=mutated(samples), detect=...)
    def case(data: bytes, detect: bool) -> None:
        check(module, data, detect)

    case()
