"""Fixtures for web tests: a seeded app, and clients logged in as any role.

- `web_settings`: Settings on a fresh copy of a seeded data folder (demo actors, the two demo
  territories with actors assigned by `seed_test_territories`, the accounts of
  `web_helpers.USERS`), fast argon2.
- `web_app`: `(app, settings)` from `create_app`, its lifespan running for the test.
- `client_for(who)`: a TestClient (no redirect following, server errors as 500 responses)
  logged in as a USERS key ("admin", "officer", "staff", "committee", "actor",
  "officer_mel"); `client_for(None)` is anonymous.
Helpers (`login`, `post_form`, `csrf_token`, `USERS`, `PASSWORD`) live in `web_helpers.py`.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_helpers import FAST_HASHING, PASSWORD, USERS, login, seed_test_territories

from veilleuse.app import accounts
from veilleuse.app.context import Context
from veilleuse.config.settings import Settings, get_settings
from veilleuse.web.app import create_app


def make_web_settings(data_dir: Path, **web: object) -> Settings:
    return get_settings(
        data_dir=data_dir, store={"backend": "embedded"}, web={**FAST_HASHING, **web}
    )


@pytest.fixture(scope="session")
def seeded_web_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder seeded once per session; tests get copies."""
    folder = tmp_path_factory.mktemp("web-seed")
    with Context(make_web_settings(folder)) as ctx:
        seed_test_territories(ctx)
        for email, role, territory, actor in USERS.values():
            accounts.create_user(ctx, email, email.split("@")[0], role, PASSWORD, territory, actor)
    return folder


@pytest.fixture
def web_settings(seeded_web_data: Path, tmp_path: Path) -> Settings:
    data_dir = tmp_path / "data"
    shutil.copytree(seeded_web_data, data_dir)
    return make_web_settings(data_dir)


@pytest.fixture
def web_app(web_settings: Settings) -> Iterator[tuple[FastAPI, Settings]]:
    app = create_app(web_settings)
    with TestClient(app):  # runs the lifespan: records opened now, closed after the test
        yield app, web_settings


@pytest.fixture
def client_for(web_app: tuple[FastAPI, Settings]) -> Callable[[str | None], TestClient]:
    app, _ = web_app

    def make(who: str | None = None) -> TestClient:
        client = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
        if who is not None:
            login(client, who)
        return client

    return make
