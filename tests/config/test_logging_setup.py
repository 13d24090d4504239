"""One logging set-up: text or JSON lines, and no secret ever printed."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from veilleuse.config.logging_setup import MASK, Redactor, secret_values, setup_logging
from veilleuse.config.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {
    "VEILLEUSE_MAIL__SMTP_PASSWORD": "smtp-pw-Zq81xK",
    "VEILLEUSE_MAIL__LINK_SECRET": "link-secret-Hh27pLm",
    "VEILLEUSE_WEB__SECRET_KEY": "session-key-Uu63vBn",
    "VEILLEUSE_STORE__PASSWORD": "es-pw-Rr45tYu",
    "VEILLEUSE_STORE__API_KEY": "es-api-key-Ww12eEr",
    "VEILLEUSE_SOURCES__AIDES_TERRITOIRES_TOKEN": "aides-token-Kk98jHg",
}


def test_settings_secrets_and_credential_patterns_are_masked() -> None:
    settings = Settings(
        records={"url": "postgresql+psycopg://veille:pg-pw-Tt77@db.example:5432/v"},  # type: ignore[arg-type]
        mail={"smtp_password": "smtp-pw-1234"},  # type: ignore[arg-type]
    )
    redact = Redactor(secret_values(settings))
    line = redact(
        "connecting to postgresql+psycopg://veille:pg-pw-Tt77@db.example:5432/v with "
        "smtp-pw-1234, ?token=abc&x=1 api_key=K1 Authorization: Bearer T0k"
    )
    for secret in ("pg-pw-Tt77", "smtp-pw-1234", "abc", "K1", "T0k"):
        assert secret not in line
    assert "postgresql+psycopg://veille:" + MASK + "@db.example" in line


def test_json_lines_and_tracebacks_are_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings(log={"format": "json", "level": "DEBUG"})  # type: ignore[arg-type]
    handler = setup_logging(settings)
    try:
        log = logging.getLogger("veilleuse.test")
        log.info("opening %s", "postgresql://u:hunter2@h/db")
        try:
            raise RuntimeError("password=hunter3")
        except RuntimeError:
            log.exception("failed")
        lines = [json.loads(x) for x in capsys.readouterr().err.splitlines() if x.startswith("{")]
    finally:
        logging.getLogger().removeHandler(handler)
    assert lines[0]["message"] == f"opening postgresql://u:{MASK}@h/db"
    assert lines[0]["level"] == "INFO" and lines[0]["logger"] == "veilleuse.test"
    assert "hunter3" not in lines[1]["exception"] and "RuntimeError" in lines[1]["exception"]


@pytest.mark.slow
def test_a_whole_demo_run_prints_no_secret(tmp_path: Path) -> None:
    """`veilleuse demo` (the weekly stages on the recorded samples, the demo actors, e-mails to
    the outbox) with every secret setting set and debug logs: no secret value in its output."""
    env = {
        **os.environ,
        **SECRETS,
        "VEILLEUSE_DATA_DIR": str(tmp_path / "var"),
        "VEILLEUSE_LOG__LEVEL": "DEBUG",
        "PREFECT_HOME": str(tmp_path / "prefect"),
    }
    env.pop("VEILLEUSE_STORE__URL", None)
    env.pop("VEILLEUSE_RECORDS__URL", None)
    veilleuse = Path(sys.executable).parent / "veilleuse"
    done = subprocess.run(
        [str(veilleuse), "demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=500,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "digest" in output.lower()
    for name, value in SECRETS.items():
        assert value not in output, name
