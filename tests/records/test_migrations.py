"""The Alembic migrations: a fresh database migrated to head has what `records/tables.py` says."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from veilleuse.records.db import Records
from veilleuse.records.tables import Base


def migrated(tmp_path: Path) -> Records:
    records = Records(f"sqlite:///{tmp_path / 'records.sqlite3'}")
    records.engine  # noqa: B018 - first use migrates to head
    return records


def indexed_columns(records: Records, table: str) -> list[list[str | None]]:
    return [list(ix["column_names"]) for ix in inspect(records.engine).get_indexes(table)]


def test_lookups_by_notice_have_an_index(tmp_path: Path) -> None:
    """One notice's matches and pushes are read by notice uid: each key starts with the actor."""
    records = migrated(tmp_path)
    try:
        assert ["notice_uid"] in indexed_columns(records, "matches")
        assert ["notice_uid"] in indexed_columns(records, "pushes")
        assert ["notice_uid"] in indexed_columns(records, "feedback")
        with records.engine.connect() as conn:
            plan = conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT * FROM matches WHERE notice_uid = 'x:1'"
            ).all()
        assert "USING INDEX ix_matches_notice_uid" in " ".join(str(row[-1]) for row in plan)
    finally:
        records.dispose()


def test_migrations_build_the_schema_of_the_tables_module(tmp_path: Path) -> None:
    records = migrated(tmp_path)
    try:
        with records.engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert differences == []
    finally:
        records.dispose()


def test_the_last_migration_goes_down_and_up_again(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    from veilleuse.records.db import MIGRATIONS

    records = migrated(tmp_path)
    try:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with records.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0002")
        assert ["notice_uid"] not in indexed_columns(records, "matches")
        with records.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
        assert ["notice_uid"] in indexed_columns(records, "matches")
    finally:
        records.dispose()
