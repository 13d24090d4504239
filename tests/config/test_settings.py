"""Settings: nested environment variables, derived paths, and the description table."""

from __future__ import annotations

import pytest

from veilleuse.config.settings import MailMode, StoreBackend, describe, get_settings


def test_nested_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VEILLEUSE_STORE__URL", "http://127.0.0.1:9201")
    monkeypatch.setenv("VEILLEUSE_MAIL__SMTP_HOST", "mail.example.org")
    monkeypatch.setenv("VEILLEUSE_MAIL__MODE", "smtp")
    settings = get_settings()
    assert settings.store.url == "http://127.0.0.1:9201"
    assert settings.store.resolved_backend() is StoreBackend.ELASTICSEARCH
    assert settings.mail.smtp_host == "mail.example.org"
    assert settings.mail.mode is MailMode.SMTP


def test_defaults_are_embedded(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("VEILLEUSE_STORE__URL", raising=False)
    settings = get_settings(data_dir=tmp_path)
    assert settings.store.resolved_backend() is StoreBackend.EMBEDDED
    assert settings.store_path() == tmp_path / "notices.sqlite3"
    assert settings.outbox_dir() == tmp_path / "outbox"


def test_every_setting_has_help_and_secrets_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VEILLEUSE_MAIL__SMTP_PASSWORD", "hunter2")
    rows = describe(get_settings())
    assert all(help_text for _, _, _, help_text in rows)
    shown = {name: value for name, value, _, _ in rows}
    assert shown["VEILLEUSE_MAIL__SMTP_PASSWORD"] == "********"
    assert "VEILLEUSE_EMBEDDING__MODEL" in shown
