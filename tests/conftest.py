"""Shared fixtures: the notice stores under contract, and paths to the bundled samples.

The Elasticsearch store runs against the real server named by VEILLEUSE_TEST_ES_URL (`make test`
starts one). In CI (env CI set) a missing server fails the run instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from test_support import CONTRACT_DIMENSION, es_url_or_skip, fresh_pg_database, pg_url_or_skip
from veilleuse.config.settings import StoreSettings
from veilleuse.search.embedded_store import EmbeddedStore
from veilleuse.search.store import NoticeStore


def pytest_report_header(config: pytest.Config) -> list[str]:
    url = os.environ.get("VEILLEUSE_TEST_ES_URL")
    analyzer = os.environ.get("VEILLEUSE_STORE__TEXT_ANALYZER", "standard")
    pg = os.environ.get("VEILLEUSE_TEST_PG_URL")
    return [
        f"elasticsearch: {url or 'not configured'} (text analyzer: {analyzer})",
        f"postgresql: {pg or 'not configured'}",
    ]


@pytest.fixture(
    params=[
        "embedded",
        pytest.param("elasticsearch", marks=[pytest.mark.elasticsearch, pytest.mark.integration]),
    ]
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[NoticeStore]:
    """Every backend of the NoticeStore protocol, one at a time, empty at start."""
    if request.param == "embedded":
        embedded = EmbeddedStore(tmp_path / "notices.sqlite3")
        yield embedded
        embedded.close()
        return
    url = es_url_or_skip()
    from veilleuse.search.elasticsearch_store import ElasticsearchStore

    analyzer = os.environ.get("VEILLEUSE_STORE__TEXT_ANALYZER", "standard")
    settings = StoreSettings(url=url, text_analyzer=analyzer)  # type: ignore[call-arg]
    es = ElasticsearchStore(
        settings, index_alias=f"test-contract-{uuid.uuid4().hex[:10]}", dimension=CONTRACT_DIMENSION
    )
    try:
        yield es
    finally:
        es.drop()
        es.close()


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=[pytest.mark.postgres, pytest.mark.integration]),
    ]
)
def records_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty records database, on every supported backend one at a time: a SQLite
    file, or a fresh database on the PostgreSQL server of VEILLEUSE_TEST_PG_URL (dropped after)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'records.sqlite3'}"
        return
    yield from fresh_pg_database(pg_url_or_skip())
