"""After `kill -9` of a `veilleuse` run, the temporary Prefect API server it started ends too.

A real `veilleuse reminders --flow` subprocess (no PREFECT_API_URL: Prefect starts its
ephemeral server as a child) is killed with SIGKILL as soon as that child exists; the child,
found by its parent PID before the kill, must be gone within a few seconds. Every process left
is ended here by its PID.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from proc_tools import alive, children, cmdline, quiet_env, wait_gone

from veilleuse.flows.server_watchdog import wrapped_args

pytestmark = [pytest.mark.integration, pytest.mark.prefect]

VEILLEUSE = str(Path(sys.executable).parent / "veilleuse")


def test_wrapped_args_only_change_uvicorn() -> None:
    args = ["/py", "-m", "uvicorn", "--port", "8123"]
    assert wrapped_args(args, 42) == [
        "/py", "-m", "veilleuse.flows.server_watchdog", "42", "--port", "8123",
    ]  # fmt: skip
    assert wrapped_args(["/py", "-m", "other"], 42) == ["/py", "-m", "other"]


def _server_child(parent: subprocess.Popen[bytes], seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and parent.poll() is None:
        found = [
            p for p in children(parent.pid) if "uvicorn" in cmdline(p) or "watchdog" in cmdline(p)
        ]
        if found:
            return found
        time.sleep(0.05)
    return []


def test_sigkill_of_a_run_leaves_no_prefect_server(tmp_path: Path) -> None:
    run = subprocess.Popen(
        [VEILLEUSE, "reminders", "--flow"],
        env=quiet_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    servers: list[int] = []
    try:
        servers = _server_child(run, 90)
        assert servers, "the run started no Prefect server child"
        time.sleep(1.0)  # the server is starting up (imports, database)
        os.kill(run.pid, signal.SIGKILL)
        run.wait(timeout=10)
        left = wait_gone(servers, 20)
        assert left == [], f"Prefect server still alive after kill -9 of its parent: {left}"
    finally:
        if run.poll() is None:
            run.kill()
            run.wait(timeout=10)
        for pid in servers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
