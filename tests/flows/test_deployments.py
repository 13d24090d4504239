"""`veilleuse serve` against a real Prefect server: the deployments exist with the catalogue's
schedules, and a triggered `weekly_watch` run completes on the recorded samples and publishes
its report as Markdown artifacts; so does a triggered `collect-decp`.

Both the server and `veilleuse serve` are subprocesses started here and stopped by PID.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from veilleuse.app.collect import default_samples_dir
from veilleuse.spiders.catalogue import load_catalogue, select

pytestmark = [pytest.mark.integration, pytest.mark.prefect]

BIN = Path(sys.executable).parent


def _prefect() -> str:
    found = shutil.which("prefect", path=str(BIN)) or shutil.which("prefect")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("the `prefect` executable is missing: CI must install the project")
        pytest.skip("the `prefect` executable is missing")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _quiet_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VEILLEUSE_", "PREFECT_"))}
    env.update(
        PREFECT_HOME=str(home),
        DO_NOT_TRACK="1",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_UI_ENABLED="false",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
    )
    return env


@pytest.fixture
def prefect_api(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        [_prefect(), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=_quiet_env(tmp_path / "prefect-server"),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    api = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 90
        while True:
            if server.poll() is not None:
                pytest.fail(f"prefect server exited: {(tmp_path / 'server.log').read_text()}")
            try:
                if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("prefect server not healthy after 90 s")
            time.sleep(0.5)
        yield api
    finally:
        _stop(server)
        log.close()


def _wait(what: str, seconds: float, probe: Any) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(1)
    pytest.fail(f"{what}: not after {seconds:.0f} s")


def test_serve_registers_the_catalogue_and_runs_weekly_watch(
    prefect_api: str, tmp_path: Path
) -> None:
    env = _quiet_env(tmp_path / "prefect-client")
    env.update(
        PREFECT_API_URL=prefect_api,
        VEILLEUSE_DATA_DIR=str(tmp_path / "var"),
        VEILLEUSE_SOURCES__DEMO_DIR=str(default_samples_dir()),
        VEILLEUSE_FLOWS__WEEKLY_LIVE="false",
        VEILLEUSE_FLOWS__RETRIES="0",
    )
    log = (tmp_path / "serve.log").open("wb")
    serve = subprocess.Popen(
        [str(BIN / "veilleuse"), "serve"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    client = httpx.Client(base_url=prefect_api, timeout=10)
    try:
        expected = {f"collect-{e.name}": e.schedule for e in select(load_catalogue(), None)}
        expected |= {"weekly": "0 10 * * 1", "alerts": "0 7 * * *", "reminders": "30 7 * * *"}

        def registered() -> list[dict[str, Any]] | None:
            if serve.poll() is not None:
                pytest.fail(f"veilleuse serve exited: {(tmp_path / 'serve.log').read_text()}")
            found = client.post("/deployments/filter", json={}).json()
            return found if len(found) >= len(expected) else None

        deployments = _wait("every deployment registered", 60, registered)
        by_name = {d["name"]: d for d in deployments}
        assert set(by_name) == set(expected)
        crons = {
            name: [s["schedule"]["cron"] for s in d["schedules"]] for name, d in by_name.items()
        }
        for name, cron in expected.items():
            assert cron in crons[name], (name, crons[name])
        weekly = by_name["weekly"]
        assert weekly["schedules"][0]["schedule"]["timezone"] == "Europe/Paris"
        assert "weekly" in weekly["tags"]

        def create_run(deployment: dict[str, Any], body: dict[str, Any]) -> Any:
            """A flow run of `deployment`; the local server (SQLite) may refuse a request for a
            moment while `veilleuse serve` polls it, so a refusal is tried again."""

            def attempt() -> dict[str, Any] | None:
                response = client.post(
                    f"/deployments/{deployment['id']}/create_flow_run", json=body
                )
                return response.json() if response.is_success else None

            return _wait(f"a flow run of {deployment['name']}", 30, attempt)

        run = create_run(weekly, {"parameters": {"sources": ["decp"], "live": False}})
        collect = create_run(by_name["collect-decp"], {})

        def finished(flow_run: dict[str, Any]) -> Any:
            def probe() -> dict[str, Any] | None:
                response = client.get(f"/flow_runs/{flow_run['id']}")
                if not response.is_success:  # refused for a moment: ask again
                    return None
                state = response.json()["state"]
                return state if state["type"] in {"COMPLETED", "FAILED", "CRASHED"} else None

            return probe

        state = _wait("weekly_watch run finished", 240, finished(run))
        assert state["type"] == "COMPLETED", (tmp_path / "serve.log").read_text()[-4000:]
        state = _wait("collect-decp run finished", 60, finished(collect))
        assert state["type"] == "COMPLETED", (tmp_path / "serve.log").read_text()[-4000:]
        collected = client.post(
            "/artifacts/filter", json={"artifacts": {"flow_run_id": {"any_": [collect["id"]]}}}
        ).json()
        assert any(a["key"] == "collect-decp" and "| decp |" in a["data"] for a in collected)
        artifacts = client.post(
            "/artifacts/filter", json={"artifacts": {"flow_run_id": {"any_": [run["id"]]}}}
        ).json()
        markdown = {a["key"]: a["data"] for a in artifacts if a["type"] == "markdown"}
        assert "## Collect" in markdown["weekly-watch"]
        assert "| decp |" in markdown["weekly-watch"]
        assert "## Digests" in markdown["weekly-watch"]
    finally:
        client.close()
        _stop(serve)
        log.close()


def test_serve_refuses_without_a_server(tmp_path: Path) -> None:
    env = _quiet_env(tmp_path / "prefect")
    env["VEILLEUSE_DATA_DIR"] = str(tmp_path / "var")
    done = subprocess.run(
        [str(BIN / "veilleuse"), "serve"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "PREFECT_API_URL is not set" in done.stderr
