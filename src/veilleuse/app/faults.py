"""Fault points for the fault-injection tests — inert unless `VEILLEUSE_TEST_FAULT` is set.

TEST-ONLY. The reliability tests kill a real `veilleuse` subprocess at a chosen step of a run,
then run it again and count what each actor received twice or never. `fault_point(step)` is
called at those steps; with `VEILLEUSE_TEST_FAULT=<step>:<n>` the process kills itself with
SIGKILL (no clean-up, no exit handler: as a power cut or the OOM killer would) the n-th time it
reaches `step`. Unset (always, outside those tests), a call costs one dictionary lookup.

Steps: `digest.logged` (a digest logged as pending, before it is sent), `delivery.sent` (the
mail server accepted it, before the send log says so), `digest.actor` (an actor's turn done).
"""

from __future__ import annotations

import os
import signal
from collections import Counter

ENV = "VEILLEUSE_TEST_FAULT"
_reached: Counter[str] = Counter()


def fault_point(step: str) -> None:
    """Kill this process here when `VEILLEUSE_TEST_FAULT` names this step and count."""
    spec = os.environ.get(ENV)
    if not spec:
        return
    name, _, count = spec.partition(":")
    if name != step:
        return
    _reached[step] += 1
    if _reached[step] >= int(count or 1):
        os.kill(os.getpid(), signal.SIGKILL)
