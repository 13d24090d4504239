"""Fixtures for API tests: the web tests' seeded app, a fake embedder, notices, tokens.

The fixtures of tests/web/conftest.py (`seeded_web_data`, `web_settings`, `client_for`) are
re-exposed from that file (loaded under another module name, so both folders can run in one
session); `web_app` is redefined here with a keyword embedder in the app's Context, so hybrid
searches with words run without the model. `api_client(role)` is a TestClient sending a fresh
token of that role's account (created by `app.api_tokens.create_token`).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

WEB_TESTS = Path(__file__).resolve().parents[1] / "web"
if str(WEB_TESTS) not in sys.path:
    sys.path.insert(0, str(WEB_TESTS))  # web_helpers, as the web tests import it


def _load_web_fixtures() -> object:
    spec = importlib.util.spec_from_file_location("web_fixtures", WEB_TESTS / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_web = _load_web_fixtures()
seeded_web_data = _web.seeded_web_data  # type: ignore[attr-defined]
web_settings = _web.web_settings  # type: ignore[attr-defined]
client_for = _web.client_for  # type: ignore[attr-defined]

from api_helpers import KeywordEmbedder, make_token, seed_notices  # noqa: E402

from veilleuse.app.context import Context  # noqa: E402
from veilleuse.config.settings import Settings  # noqa: E402
from veilleuse.web.app import create_app  # noqa: E402

ApiClients = Callable[[str], TestClient]


@pytest.fixture
def web_app(web_settings: Settings) -> Iterator[tuple[FastAPI, Settings]]:
    """The web tests' app, its Context holding a keyword embedder (no model is loaded)."""
    app = create_app(web_settings)
    app.state.ctx = Context(web_settings, embedder=KeywordEmbedder())
    with TestClient(app):  # runs the lifespan: records opened now, closed after the test
        yield app, web_settings


@pytest.fixture
def ctx(web_app: tuple[FastAPI, Settings]) -> Context:
    """The app's own Context, its store holding `api_helpers.NOTICES` (with vectors)."""
    app, _ = web_app
    context: Context = app.state.ctx
    seed_notices(context)
    return context


@pytest.fixture
def api_client(web_app: tuple[FastAPI, Settings]) -> ApiClients:
    """`api_client("officer")`: a client sending a new token of that USERS account."""
    app, _ = web_app

    def make(who: str) -> TestClient:
        client = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
        client.headers["Authorization"] = f"Bearer {make_token(app.state.ctx, who)}"
        return client

    return make


@pytest.fixture
def anonymous(web_app: tuple[FastAPI, Settings]) -> TestClient:
    app, _ = web_app
    return TestClient(app, raise_server_exceptions=False, follow_redirects=False)
