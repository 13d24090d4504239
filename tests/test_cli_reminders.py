"""`veilleuse reminders` directly and through its Prefect flow, on the embedded store and the
outbox; a run where every e-mail failed exits non-zero. Constructed actor, notice, interest."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from veilleuse.app.context import Context
from veilleuse.cli import app
from veilleuse.config.settings import get_settings
from veilleuse.core.models import Actor, Contact, Notice, NoticeKind
from veilleuse.records import actors as actor_records
from veilleuse.records import interests

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
                    deadline=(now + timedelta(days=3)).date(),
                ).with_hash()
            ]
        )
        actor_records.upsert_actors(
            ctx.records,
            [
                Actor(
                    id="regie",
                    name="Régie de quartier",
                    family="association",  # type: ignore[arg-type]
                    contacts=[Contact(email="regie@example.org")],
                )
            ],
        )
        interests.add_interest(ctx.records, "regie", "boamp:1", at=now - timedelta(days=5))
    return tmp_path


def test_reminders_command_sends_once(data_dir: Path) -> None:
    first = runner.invoke(app, ["reminders"])
    assert first.exit_code == 0, first.output
    assert "1 e-mails sent with 1 reminders" in " ".join(first.output.split())
    assert len(list((data_dir / "outbox").glob("*.eml"))) == 1
    second = runner.invoke(app, ["reminders"])
    assert second.exit_code == 0 and "0 e-mails sent" in second.output


def test_reminders_command_fails_when_nothing_could_be_sent(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: nothing listens there
    monkeypatch.setenv("VEILLEUSE_MAIL__MODE", "smtp")
    monkeypatch.setenv("VEILLEUSE_MAIL__SMTP_PORT", str(port))
    monkeypatch.setenv("VEILLEUSE_MAIL__SMTP_TIMEOUT", "2")
    result = runner.invoke(app, ["reminders"])
    assert result.exit_code == 1, result.output
    assert "1 failed" in " ".join(result.output.split())


@pytest.mark.slow
def test_reminders_flow_runs_through_prefect(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if "PREFECT_HOME" not in os.environ:
        monkeypatch.setenv("PREFECT_HOME", str(data_dir / "prefect"))
    result = runner.invoke(app, ["reminders", "--flow"])
    assert result.exit_code == 0, result.output
    assert "1 e-mails sent with 1 reminders" in " ".join(result.output.split())
