"""Where a records database stands against the migrations, read without migrating it."""

from __future__ import annotations

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.exc import SQLAlchemyError

from veilleuse.core.errors import RecordsError
from veilleuse.records.db import MIGRATIONS


def head_revision() -> str | None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def current_revision(url: str) -> str | None:
    """The database's Alembic revision (None when never migrated); RecordsError when unreachable."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        safe = engine.url.render_as_string(hide_password=True)
        raise RecordsError(
            f"records database {safe} unreachable ({type(exc).__name__}: {exc})"
        ) from exc
    finally:
        engine.dispose()
