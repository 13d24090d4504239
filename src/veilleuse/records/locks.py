"""Locks that keep two runs of the same job (a flow for a territory) from overlapping.

On PostgreSQL a session-level advisory lock (`pg_try_advisory_lock(hashtext(name))`) held by a
connection kept open for the run: the server frees it if the process dies. On SQLite a lease row
in `leases` (name, holder, expires_at): acquiring inserts it, or takes over an expired one, in one
transaction; a crashed run's lease expires after its time to live.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from veilleuse.records.db import Records
from veilleuse.records.tables import LeaseRow


class HeldLock:
    """A lock this process holds; `release()` frees it (idempotent)."""

    def __init__(
        self, records: Records, name: str, holder: str, connection: Connection | None
    ) -> None:
        self.records, self.name, self.holder = records, name, holder
        self._connection = connection
        self._released = False

    def release(self) -> None:
        if self._released:
            return
        self._released = True
        if self._connection is not None:
            try:
                self._connection.execute(
                    text("SELECT pg_advisory_unlock(hashtext(:name))"), {"name": self.name}
                )
                self._connection.commit()
            finally:
                self._connection.close()
            return
        with self.records.session() as s:
            s.execute(
                delete(LeaseRow).where(LeaseRow.name == self.name, LeaseRow.holder == self.holder)
            )


def try_acquire(
    records: Records,
    name: str,
    holder: str,
    *,
    ttl: timedelta,
    now: datetime | None = None,
    gone: Callable[[str], bool] | None = None,
) -> HeldLock | None:
    """The lock `name` for `holder`, or None when another holder has it. On SQLite, a lease
    whose holder `gone(holder)` says has ended (a run killed with SIGKILL) is taken over at
    once instead of blocking every run until it expires."""
    if records.engine.dialect.name == "postgresql":
        connection = records.engine.connect()
        try:
            got = connection.execute(
                text("SELECT pg_try_advisory_lock(hashtext(:name))"), {"name": name}
            ).scalar()
            connection.commit()
        except BaseException:
            connection.close()
            raise
        if not got:
            connection.close()
            return None
        return HeldLock(records, name, holder, connection)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    try:
        with records.session() as s:
            # the delete takes SQLite's write lock: a concurrent acquirer waits, then sees the row
            s.execute(delete(LeaseRow).where(LeaseRow.name == name, LeaseRow.expires_at < now))
            current = s.scalar(select(LeaseRow.holder).where(LeaseRow.name == name))
            if current is not None and gone is not None and gone(current):
                s.execute(delete(LeaseRow).where(LeaseRow.name == name, LeaseRow.holder == current))
            s.add(LeaseRow(name=name, holder=holder, expires_at=now + ttl))
            s.flush()
    except IntegrityError:
        return None
    except Exception as exc:  # RecordsError wrapping the IntegrityError
        if isinstance(exc.__cause__, IntegrityError):
            return None
        raise
    return HeldLock(records, name, holder, None)
