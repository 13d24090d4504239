"""The one logging set-up of Veilleuse: plain text (default) or JSON lines on stderr, at the
`log.level` setting, with every secret redacted.

`setup_logging(settings)` is called by the command line's entry and by the web server's start.
Redaction happens twice: a filter rewrites each record's message (so handlers added later by
libraries that reuse the record see the redacted text), and the formatter redacts the final line
(tracebacks included; JSON lines redact each field before encoding). Secrets are the values of every `SecretStr` setting, the password of the
records URL, and anything that looks like a credential: `scheme://user:password@`, `password=…`,
`token=…`, `api_key=…`, `secret=…`, `Authorization: …`.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, SecretStr

from veilleuse.config.settings import Settings

MASK = "********"
_PATTERNS = [
    # scheme://user:password@host  (postgresql://, postgresql+psycopg://, smtp://, http://…)
    (re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s]*:)(?P<secret>[^@\s/]+)(?=@)"), MASK),
    # password=…, token: …, api_key=…, secret_key=… (query strings, key=value logs, JSON-ish)
    (
        re.compile(
            r"(?P<head>(?i:\b[\w\-]*(?:password|passwd|pwd|token|api[_\-]?key|secret)[\w\-]*)"
            r"[\"']?\s*[=:]\s*[\"']?)(?P<secret>[^\s\"'&,;}]+)"
        ),
        MASK,
    ),
    (
        re.compile(
            r"(?P<head>(?i:authorization)[\"']?\s*[=:]\s*[\"']?(?:\w+\s+)?)(?P<secret>[^\s\"']+)"
        ),
        MASK,
    ),
]


def secret_values(settings: Settings) -> list[str]:
    """Every secret value the settings hold (SecretStr leaves, the records URL's password)."""
    found: list[str] = []

    def walk(model: BaseModel) -> None:
        for name in type(model).model_fields:
            value = getattr(model, name)
            if isinstance(value, SecretStr):
                found.append(value.get_secret_value())
            elif isinstance(value, BaseModel):
                walk(value)

    walk(settings)
    url = settings.records.url or ""
    match = _PATTERNS[0][0].search(url)
    if match:
        found.append(match.group("secret"))
    return sorted({s for s in found if len(s) >= 4}, key=len, reverse=True)


def _masked(match: re.Match[str]) -> str:
    return match.group("head") + MASK


class Redactor:
    """Replaces known secret values and credential-looking text by a mask."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        for pattern, _mask in _PATTERNS:
            text = pattern.sub(_masked, text)
        return text


class RedactingFilter(logging.Filter):
    """Rewrites a record's message with its secrets masked (keeps the record)."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the formatter
            return True
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


class TextFormatter(logging.Formatter):
    def __init__(self, redact: Redactor) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message (and the traceback when any)."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": self.redact(record.getMessage()),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = self.redact(record.exc_text)
        return json.dumps(line, ensure_ascii=False)


_HANDLER_NAME = "veilleuse"


def setup_logging(settings: Settings) -> logging.Handler:
    """Configure the root logger once (calling again replaces Veilleuse's handler); the
    redaction filter is also put on every handler already installed (uvicorn's, Prefect's)."""
    redact = Redactor(secret_values(settings))
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    formatter: logging.Formatter = (
        JsonFormatter(redact) if settings.log.format == "json" else TextFormatter(redact)
    )
    handler.setFormatter(formatter)
    handler.addFilter(RedactingFilter(redact))
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log.level.upper())
    for logger in [root, *(logging.getLogger(n) for n in list(logging.root.manager.loggerDict))]:
        for existing in getattr(logger, "handlers", []):
            if not any(isinstance(f, RedactingFilter) for f in existing.filters):
                existing.addFilter(RedactingFilter(redact))
    return handler
