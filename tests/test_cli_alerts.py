"""`veilleuse alerts` directly and through its Prefect flow, on the embedded store and outbox.

The user, the saved search and the notice are constructed for these tests.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from veilleuse.app.context import Context
from veilleuse.app.saved_searches import save_search
from veilleuse.cli import app
from veilleuse.config.settings import get_settings
from veilleuse.core.accounts import Role
from veilleuse.core.models import Notice, NoticeKind, Places
from veilleuse.records import accounts

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VEILLEUSE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("VEILLEUSE_STORE__URL", raising=False)
    now = datetime.now(UTC)
    with Context(get_settings()) as ctx:
        ctx.store.write(
            [
                Notice(
                    uid="boamp:1",
                    source="boamp",
                    native_id="1",
                    kind=NoticeKind.TENDER,
                    title="Nettoyage des locaux",
                    places=Places(departments=["59"]),
                    first_seen=now - timedelta(hours=2),
                ).with_hash()
            ]
        )
        owner = accounts.create_user(
            ctx.records,
            email="veille@reseau.example",
            name="Chargée de veille",
            role=Role.OFFICER,
            password_hash="unused",
        )
        save_search(
            ctx,
            user_id=owner.id,
            name="Nettoyage",
            query="q=nettoyage",
            frequency="daily",
            now=now - timedelta(days=1),
        )
    return tmp_path


def test_alerts_command_sends_once(data_dir: Path) -> None:
    first = runner.invoke(app, ["alerts"])
    assert first.exit_code == 0, first.output
    assert "1 sent with 1 notices" in first.output
    assert len(list((data_dir / "outbox").glob("*.eml"))) == 1
    second = runner.invoke(app, ["alerts"])
    assert second.exit_code == 0 and "0 sent" in second.output and "1 not due" in second.output


@pytest.mark.slow
def test_alerts_flow_runs_through_prefect(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if "PREFECT_HOME" not in os.environ:
        monkeypatch.setenv("PREFECT_HOME", str(data_dir / "prefect"))
    result = runner.invoke(app, ["alerts", "--flow"])
    assert result.exit_code == 0, result.output
    assert "1 sent with 1 notices" in result.output
