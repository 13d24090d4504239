"""Helpers shared by test modules (import them by this name: several folders have a conftest)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
CONTRACT_DIMENSION = 8


def es_url_or_skip() -> str:
    url = os.environ.get("VEILLEUSE_TEST_ES_URL")
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail("VEILLEUSE_TEST_ES_URL is not set: CI must start Elasticsearch (make es-start)")
    pytest.skip("no Elasticsearch server: run `make es-start` and export VEILLEUSE_TEST_ES_URL")


def pg_url_or_skip() -> str:
    """The PostgreSQL server of the tests (its URL names a database the tests may connect to)."""
    url = os.environ.get("VEILLEUSE_TEST_PG_URL")
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail(
            "VEILLEUSE_TEST_PG_URL is not set: CI must start PostgreSQL (scripts/postgres.sh)"
        )
    pytest.skip(
        "no PostgreSQL server: run `scripts/postgres.sh start` and export VEILLEUSE_TEST_PG_URL"
    )


def fresh_pg_database(url: str) -> Iterator[str]:
    """A new empty database on the server of `url`, dropped afterwards: yields its URL."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    name = f"veilleuse_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


#: the demo actors of each real territory (their communes lie in it; constructed, labelled)
DEMO_VALENCIENNES_ACTORS = {
    "esat-jardins-escaut",
    "remorquage-solidaire-paris",
    "mutuelle-sud-services",
    "fondation-aube-solidaire",
    "recyclerie-numerique-ligerienne",
    "mobilite-solidaire-alpes",
    "geiq-formation-aube",
    "esat-ateliers-rochelais",
    "tiers-lieu-drome",
}
DEMO_MEL_ACTORS = {
    "ea-proprete-solidaire-lille",
    "scop-batir-ensemble",
    "festiv-nord",
    "scic-cap-evenements",
    "scic-eau-vive-gironde",
    "scop-cuisine-commune-var",
    "scic-manche-energies",
    "scop-atelier-architecture-partagee",
}
