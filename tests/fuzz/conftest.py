"""Hypothesis profiles for the fuzz tests, and a count of the cases tried per parser.

`ci` (the default, what `make test` runs): a few hundred cases per parser, about a minute in all.
`fuzz` (`make fuzz`): many more per round; `scripts/fuzz.sh` runs rounds with fresh seeds until
its time budget is spent and sums the counts each round appends to $VEILLEUSE_FUZZ_LOG.
"""

from __future__ import annotations

import json
import os

import pytest
from fuzz_mutations import CASES
from hypothesis import HealthCheck, settings

_COMMON = {
    "deadline": None,  # time is bounded per case by an alarm instead (see test_fuzz_parsers)
    "database": None,  # nothing written into the checkout; a failure prints its example
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    "derandomize": False,
}
settings.register_profile(
    "ci", max_examples=int(os.environ.get("VEILLEUSE_FUZZ_EXAMPLES", 200)), **_COMMON
)
settings.register_profile(
    "fuzz", max_examples=int(os.environ.get("VEILLEUSE_FUZZ_EXAMPLES", 2000)), **_COMMON
)
settings.load_profile(os.environ.get("VEILLEUSE_FUZZ_PROFILE", "ci"))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    log = os.environ.get("VEILLEUSE_FUZZ_LOG")
    if log and CASES:
        with open(log, "a", encoding="utf-8") as out:
            out.write(json.dumps({"cases": dict(CASES), "exit": int(exitstatus)}) + "\n")
