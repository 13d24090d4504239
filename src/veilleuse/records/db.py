"""Engine, sessions and migrations of the records database (SQLite by default, PostgreSQL by URL)."""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, create_engine, event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from veilleuse.core.errors import RecordsError

MIGRATIONS = Path(__file__).parent / "migrations"


#: the advisory lock a PostgreSQL migration holds (any constant: only Veilleuse takes it)
_PG_KEY = 0x7E11_E05E
_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


@contextmanager
def _migration_lock(url: str) -> Iterator[None]:
    """One migration at a time per database: several tasks of a flow may open a fresh records
    database at once, and two `CREATE TABLE alembic_version` would collide. Threads share a lock
    per URL; processes on one SQLite file take a file lock beside it (PostgreSQL: an advisory
    lock inside the migration's transaction)."""
    with _LOCKS_GUARD:
        lock = _LOCKS.setdefault(url, threading.Lock())
    with lock:
        path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else ""
        if not path or path == ":memory:":
            yield
            return
        with Path(path + ".migrate.lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


class Records:
    """A handle on the records database; migrates to the latest schema on first use."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Engine | None = None
        self._sessions: sessionmaker[Session] | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            if self.url.startswith("sqlite:///"):
                Path(self.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(self.url, future=True)
            if engine.dialect.name == "sqlite":
                event.listen(engine, "connect", _sqlite_pragmas)
            self._engine = engine
            self.migrate()
        return self._engine

    def migrate(self) -> None:
        """Bring the schema to the latest Alembic revision (idempotent)."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        try:
            assert self._engine is not None
            with _migration_lock(self.url), self._engine.begin() as connection:
                if connection.dialect.name == "postgresql":  # other processes wait here
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_KEY})
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except SQLAlchemyError as exc:
            raise RecordsError(
                f"records database {self.safe_url()}: migration failed: {exc}"
            ) from exc

    def safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True) if self._engine else self.url

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed on success, rolled back on error."""
        if self._sessions is None:
            self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        with self._sessions() as session:
            try:
                yield session
                session.commit()
            except SQLAlchemyError as exc:
                session.rollback()
                raise RecordsError(f"records database: {exc}") from exc
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def upsert(session: Session, model: type[DeclarativeBase], rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows`, updating in place those whose primary key exists: one batched statement.

    `session.merge` would read each row first (a query per row); this is INSERT … ON CONFLICT DO
    UPDATE on SQLite and PostgreSQL. Rows repeating a key within `rows` keep the last one.
    """
    table = model.__table__
    assert isinstance(table, Table)
    keys = [c.name for c in table.primary_key.columns]
    unique = list({tuple(row[k] for k in keys): row for row in rows}.values())
    if not unique:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif dialect == "postgresql":
        # same interface as the SQLite Insert (excluded, on_conflict_do_update)
        from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]
    else:  # another database: still correct, one query per row
        for row in unique:
            session.merge(model(**row))
        return
    stmt = insert(table)
    changed = {c: stmt.excluded[c] for c in unique[0] if c not in keys}
    session.execute(stmt.on_conflict_do_update(index_elements=keys, set_=changed), unique)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
