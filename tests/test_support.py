"""Helpers shared by test modules (import them by this name: several folders have a conftest)."""

from __future__ import annotations

import os
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
