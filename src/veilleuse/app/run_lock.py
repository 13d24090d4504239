"""One run at a time per job: `with run_lock(ctx, "weekly:mel"):` around what must not overlap.

A second run started while the first holds the lock raises `ConcurrentRunError` at once (it sends
and stores nothing); flows catch it and end with a clear message and a non-failed state.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TypeVar

from veilleuse.app.context import Context
from veilleuse.core.errors import ConcurrentRunError
from veilleuse.records import locks

DEFAULT_TTL = timedelta(hours=6)
T = TypeVar("T")
logger = logging.getLogger(__name__)


def holder_gone(holder: str) -> bool:
    """True when `holder` ("host:pid:…") is a process of this machine that no longer runs: its
    lease is left over from a run killed without clean-up (kill -9, power cut)."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit() or int(pid_text) == os.getpid():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@contextmanager
def run_lock(ctx: Context, name: str, *, ttl: timedelta = DEFAULT_TTL) -> Iterator[str]:
    """Hold the lock `name` for the block (yields the holder id); raise ConcurrentRunError when
    another run holds it."""
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    held = locks.try_acquire(ctx.records, name, holder, ttl=ttl, now=ctx.now(), gone=holder_gone)
    if held is None:
        raise ConcurrentRunError(
            f"une autre exécution de « {name} » est en cours : celle-ci s'arrête sans rien envoyer"
        )
    try:
        yield holder
    finally:
        held.release()


def exclusive(ctx: Context, name: str, run: Callable[[], T], skipped: Callable[[], T]) -> T:
    """`run()` under the lock `name`; when another run holds it, say so (warning) and return
    `skipped()` — an empty report — having sent and stored nothing."""
    try:
        with run_lock(ctx, name):
            return run()
    except ConcurrentRunError as exc:
        logger.warning("%s", exc)
        return skipped()
