"""`veilleuse users` and `veilleuse web --help` through typer's runner, on a temporary data folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from veilleuse.cli import app

runner = CliRunner()
PASSWORD = "une phrase de passe assez longue"


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VEILLEUSE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("VEILLEUSE_STORE__URL", raising=False)
    for name, value in (("TIME_COST", "1"), ("MEMORY_KIB", "1024"), ("PARALLELISM", "1")):
        monkeypatch.setenv(f"VEILLEUSE_WEB__PASSWORD_{name}", value)
    return tmp_path


def test_create_list_disable() -> None:
    created = runner.invoke(
        app,
        ["users", "create", "Admin@Reseau.test", "--role", "admin", "--name", "Dominique"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert created.exit_code == 0, created.output
    assert "admin@reseau.test (admin)" in created.output
    assert PASSWORD not in created.output
    piped = runner.invoke(
        app, ["users", "create", "ops@reseau.test", "--role", "admin", "--password-stdin"],
        input=PASSWORD + "\n",
    )  # fmt: skip
    assert piped.exit_code == 0, piped.output
    listed = runner.invoke(app, ["users", "list"])
    assert "admin@reseau.test" in listed.output and "Dominique" in listed.output
    disabled = runner.invoke(app, ["users", "disable", "ADMIN@reseau.test"])
    assert disabled.exit_code == 0 and "disabled" in disabled.output
    assert "no" in runner.invoke(app, ["users", "list"]).output


def test_create_refuses_a_short_password_and_a_missing_territory() -> None:
    short = runner.invoke(
        app, ["users", "create", "a@reseau.test", "--role", "admin", "--password-stdin"],
        input="court\n",
    )  # fmt: skip
    assert short.exit_code != 0
    assert "12 caractères" in str(short.exception)
    officer = runner.invoke(
        app, ["users", "create", "o@reseau.test", "--role", "officer", "--password-stdin"],
        input=PASSWORD + "\n",
    )  # fmt: skip
    assert officer.exit_code != 0
    assert "territoire" in str(officer.exception)


def test_web_has_help() -> None:
    result = runner.invoke(app, ["web", "--help"])
    assert result.exit_code == 0 and "--port" in result.output
