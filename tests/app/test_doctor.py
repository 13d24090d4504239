"""`veilleuse doctor` on an embedded set-up: healthy, then each broken part with its message."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine

from veilleuse.app.context import Context
from veilleuse.app.doctor import Check, blocks_weekly, diagnose
from veilleuse.config.settings import Settings
from veilleuse.records.db import MIGRATIONS, Records


class FakeEmbedder:
    name = "fake"

    def __init__(self, dimension: int = 384) -> None:
        self._dimension = dimension

    @property
    def dimension(self) -> int:
        return self._dimension

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return np.ones((len(texts), self._dimension), dtype=np.float32)


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {"data_dir": tmp_path, "mail": {"link_secret": "s" * 40}}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def _run(settings: Settings, dimension: int = 384) -> list[Check]:
    with Context(settings, embedder=FakeEmbedder(dimension)) as ctx:
        return diagnose(ctx)


def _problem(checks: list[Check], part: str) -> Check:
    found = [c for c in checks if c.part == part and not c.ok]
    assert found, [(c.part, c.level, c.message) for c in checks]
    return found[0]


@pytest.fixture(autouse=True)
def _no_prefect(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    for name in ("VEILLEUSE_STORE__URL", "VEILLEUSE_RECORDS__URL", "VEILLEUSE_MAIL__MODE"):
        monkeypatch.delenv(name, raising=False)


def test_healthy_embedded_set_up(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    _ = Records(settings.records_url()).engine  # migrated to head
    checks = _run(settings)
    assert not blocks_weekly(checks), [(c.part, c.message) for c in checks if not c.ok]
    records = next(c for c in checks if c.part == "records")
    assert records.ok and "migrated to head" in records.message
    assert any(c.part == "embedding" and c.ok and "384" in c.message for c in checks)


def test_wrong_store_url(tmp_path: Path) -> None:
    checks = _run(_settings(tmp_path, store={"url": "http://127.0.0.1:9"}))
    problem = _problem(checks, "store")
    assert problem.blocking and "unreachable" in problem.message
    assert "VEILLEUSE_STORE__URL" in problem.message
    assert blocks_weekly(checks)


def test_missing_secret_blocks_when_mail_goes_out(tmp_path: Path) -> None:
    settings = _settings(tmp_path, mail={"mode": "smtp", "smtp_host": "127.0.0.1", "smtp_port": 9})
    checks = _run(settings)
    problem = _problem(checks, "secrets")
    assert problem.blocking and "VEILLEUSE_MAIL__LINK_SECRET" in problem.message
    assert "does not answer" in _problem(checks, "smtp").message
    assert blocks_weekly(checks)


def test_unmigrated_records_database(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    engine = create_engine(settings.records_url())
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    engine.dispose()
    problem = _problem(_run(settings), "records")
    assert "at revision 0001" in problem.message and "migrated" in problem.message


def test_wrong_vector_dimension(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    with sqlite3.connect(settings.store_path()) as db:
        db.execute("CREATE TABLE vectors (uid TEXT, model TEXT, content_hash TEXT, vec BLOB)")
        vec = np.zeros(384, dtype=np.float32).tobytes()
        db.execute("INSERT INTO vectors VALUES ('u', 'm', 'h', ?)", (vec,))
    db.close()
    checks = _run(settings, dimension=768)
    problem = _problem(checks, "vectors")
    assert "dimension 384" in problem.message and "makes 768" in problem.message
    assert blocks_weekly(checks)


def test_unreachable_prefect_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    problem = _problem(_run(_settings(tmp_path)), "prefect")
    assert "unreachable" in problem.message and "prefect server start" in problem.message


@pytest.mark.slow
def test_cli_doctor_with_the_bundled_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from veilleuse.cli import app

    monkeypatch.setenv("VEILLEUSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("VEILLEUSE_MAIL__LINK_SECRET", "s" * 40)
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 0, result.output
    assert "ok records" in result.output and "ok embedding" in result.output
