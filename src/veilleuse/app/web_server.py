"""What a web server (the site or the API) needs from app/ as it starts: the records database
opened, and the key that signs session cookies.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from veilleuse.app.context import Context
from veilleuse.config.settings import Settings
from veilleuse.core.errors import ConfigError

log = logging.getLogger(__name__)


def open_records(ctx: Context) -> None:
    """Open (and migrate) the records database now, as a server starts, not on a first request."""
    _ = ctx.records.engine


def session_secret(settings: Settings) -> str:
    """The key signing session cookies: the setting, else <data_dir>/web_secret (created 0600)."""
    if settings.web.secret_key is not None:
        return settings.web.secret_key.get_secret_value()
    path = settings.web_secret_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_secret(path)
    secret = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secret + "\n")
    return secret


def _read_secret(path: Path) -> str:
    if path.stat().st_mode & 0o077:
        log.warning("%s was readable by others: permissions set to 0600", path)
        path.chmod(0o600)
    secret = path.read_text(encoding="ascii").strip()
    if len(secret) < 32:
        raise ConfigError(f"{path}: session key too short (at least 32 characters)")
    return secret
