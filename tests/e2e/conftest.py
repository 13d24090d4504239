"""Browser tests: a real `veilleuse web` server on 127.0.0.1 over demo data, driven by chromium.

The data folder is built once per session with the application's own use cases (bundled
recorded sources, demo actors, embeddings with the shipped model, matches, demo territories and
accounts). The server runs as a separate process, as a person would start it. Playwright drives
Debian's chromium (`scripts/ensure-chromium.sh` installs it); screenshots of the pages go to
$VEILLEUSE_TEST_ARTIFACTS/screenshots (default var/test-artifacts) and are kept after the run.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def artifacts_dir() -> Path:
    folder = Path(os.environ.get("VEILLEUSE_TEST_ARTIFACTS", ROOT / "var" / "test-artifacts"))
    shots = folder / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    return shots


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail(
            "chromium is not installed: `make test` installs it (scripts/ensure-chromium.sh)"
        )
    pytest.skip("chromium is not installed (apt-get install chromium)")


@pytest.fixture(scope="session")
def demo_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment of a data folder where `veilleuse demo` ran: notices, matches, accounts."""
    data_dir = tmp_path_factory.mktemp("web-demo")
    env = {
        **os.environ,
        "VEILLEUSE_DATA_DIR": str(data_dir),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    env.pop("VEILLEUSE_STORE__URL", None)
    env.pop("VEILLEUSE_RECORDS__URL", None)
    # exactly what a person runs first: `make demo` (weekly flow, demo territories and accounts)
    subprocess.run(
        [sys.executable, "-m", "veilleuse.cli", "demo"],
        env=env,
        check=True,
        cwd=ROOT,
        timeout=900,
        stdout=subprocess.DEVNULL,
    )
    return env


@pytest.fixture(scope="session")
def base_url(demo_env: dict[str, str]) -> Iterator[str]:
    """A `veilleuse web` server on a free loopback port, stopped at the end of the session."""
    port = free_port()
    log = (artifacts_dir().parent / "web-server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "veilleuse.cli", "web", "--host", "127.0.0.1", "--port", str(port)],
        env=demo_env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"veilleuse web exited with {server.returncode}: see {log.name}")
            try:
                if httpx.get(f"{url}/sante", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"veilleuse web did not answer on {url} within 120 s")
            time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    home = tmp_path_factory.mktemp("chromium-home")
    os.environ.setdefault("XDG_CONFIG_HOME", str(home / "config"))
    os.environ.setdefault("XDG_CACHE_HOME", str(home / "cache"))
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, base_url: str, tmp_path: Path) -> Iterator[Any]:
    """A fresh browser context (no cookies) on the server, French locale, phone-sized optional."""
    context = browser.new_context(
        base_url=base_url,
        locale="fr-FR",
        accept_downloads=True,
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(20_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def shot() -> Callable[[Any, str], Path]:
    """Save a full-page screenshot as a test artefact."""

    def take(tab: Any, name: str) -> Path:
        path = artifacts_dir() / f"{name}.png"
        tab.screenshot(path=str(path), full_page=True)
        return path

    return take
