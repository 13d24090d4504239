"""The ephemeral Prefect API server, tied to the process that started it.

Without `PREFECT_API_URL`, Prefect starts a temporary API server in a child process
(`SubprocessASGIServer`) and stops it at exit — but a parent killed with SIGKILL runs no exit
handler, and the server stayed alive, orphaned. `tie_ephemeral_server` makes Prefect start that
child through this module: `python -m veilleuse.flows.server_watchdog <parent pid> <uvicorn
arguments>` runs uvicorn in the same process beside a thread that watches the parent and ends
the server as soon as the parent is gone (its parent pid changes when it is reparented).

`prctl(PR_SET_PDEATHSIG)` was not chosen: it fires when the *thread* that forked the child ends,
and Prefect may start the server from a short-lived worker thread (events, logs).
"""

from __future__ import annotations

import os
import runpy
import signal
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

#: seconds between two looks at the parent
POLL_SECONDS = 0.5
#: seconds a server has to stop after SIGTERM before it is ended at once
GRACE_SECONDS = 10.0


def watch_parent(parent: int, poll: float = POLL_SECONDS, grace: float = GRACE_SECONDS) -> None:
    """Block until `parent` is no longer this process's parent, then end this process."""
    while os.getppid() == parent:
        time.sleep(poll)
    os.kill(os.getpid(), signal.SIGTERM)  # uvicorn shuts down cleanly on SIGTERM
    time.sleep(grace)
    os._exit(1)


def wrapped_args(args: Sequence[str], parent: int) -> list[str]:
    """`[python, -m, uvicorn, …]` → `[python, -m, veilleuse.flows.server_watchdog, <parent>,
    …]`; any other command is left as it is."""
    args = list(args)
    if len(args) >= 3 and args[1:3] == ["-m", "uvicorn"]:
        return [args[0], "-m", __name__, str(parent), *args[3:]]
    return args


class _TiedSubprocess:
    """The `subprocess` module as Prefect's server module sees it: `Popen` of uvicorn wrapped."""

    def __init__(self, module: Any) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)

    def Popen(self, args: Sequence[str], *rest: Any, **kwargs: Any) -> Any:
        return self._module.Popen(wrapped_args(args, os.getpid()), *rest, **kwargs)


def tie_ephemeral_server() -> None:
    """Make every ephemeral Prefect API server this process starts end with it (idempotent)."""
    import subprocess

    from prefect.server.api import server

    if not isinstance(server.subprocess, _TiedSubprocess):
        server.subprocess = _TiedSubprocess(subprocess)  # type: ignore[assignment]


def main(argv: Sequence[str]) -> None:
    """`<parent pid> <uvicorn arguments…>`: uvicorn in this process, watched."""
    parent = int(argv[0])
    threading.Thread(target=watch_parent, args=(parent,), daemon=True, name="watchdog").start()
    sys.argv = ["uvicorn", *argv[1:]]
    runpy.run_module("uvicorn", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
