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


def _alembic(records: Records, action: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    from veilleuse.records.db import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with records.engine.begin() as conn:
        config.attributes["connection"] = conn
        getattr(command, action)(config, revision)


def test_the_register_migration_keeps_the_bids_of_the_old_register(tmp_path: Path) -> None:
    """0004 maps the old statuses, moves the JSON team to member rows (the bid's lots to the
    lead), fills each event's previous stage and the bid's territory (its lead's)."""
    records = migrated(tmp_path)
    try:
        _alembic(records, "downgrade", "0003")
        with records.engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO territories VALUES ('mel', 'MEL', '[]', '[]', '[]', '2026-01-01')"
            )
            conn.exec_driver_sql(
                "INSERT INTO actors VALUES ('a2', NULL, 'A2', 'scop', '{}', 1, '2026-01-01')"
            )
            conn.exec_driver_sql("INSERT INTO actor_territories VALUES ('a2', 'mel')")
            conn.exec_driver_sql(
                "INSERT INTO grouped_bids (id, notice_uid, members, lead, lots, status, amount, "
                "currency, created_at, updated_at) VALUES "
                "(1, 'boamp:1', '[\"a1\", \"a2\"]', 'a2', '[\"1\", \"2\"]', 'won', 5000, 'EUR', "
                "'2026-01-01', '2026-01-02'), "
                "(2, 'boamp:2', '[\"a3\"]', NULL, '[]', 'suggested', NULL, NULL, "
                "'2026-01-01', '2026-01-01')"
            )
            conn.exec_driver_sql(
                "INSERT INTO grouped_bid_events (bid_id, at, status, note, by) VALUES "
                "(1, '2026-01-01', 'suggested', 'créé', NULL), (2, '2026-01-01', 'suggested', "
                "'créé', NULL), (1, '2026-01-02', 'agreed', NULL, 'x'), "
                "(1, '2026-01-03', 'won', NULL, NULL)"
            )
        _alembic(records, "upgrade", "head")

        from veilleuse.core.bids import BidStage, MemberRole
        from veilleuse.records.grouped_bids import get_grouped_bid

        won, suggested = get_grouped_bid(records, 1), get_grouped_bid(records, 2)
        assert won is not None and suggested is not None
        assert won.stage is BidStage.WON and suggested.stage is BidStage.SPOTTED
        assert won.amount_won is not None and won.amount_won.amount == 5000
        assert [(m.actor_id, m.role, m.lots) for m in won.members] == [
            ("a2", MemberRole.LEAD, ["1", "2"]),
            ("a1", MemberRole.COTRAITANT, []),
        ]
        assert won.territory_id == "mel" and suggested.territory_id is None
        assert [(m.actor_id, m.role, m.lots) for m in suggested.members] == [
            ("a3", MemberRole.COTRAITANT, [])
        ]
        assert [(e.from_stage, e.to_stage) for e in won.history] == [
            (None, BidStage.SPOTTED),
            (BidStage.SPOTTED, BidStage.TEAM_FORMED),
            (BidStage.TEAM_FORMED, BidStage.WON),
        ]
        assert (won.kind.value, won.title, won.documents, won.from_suggestion) == (
            "tender",
            "",
            [],
            False,
        )

        _alembic(records, "downgrade", "0003")
        with records.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT id, members, lead, lots, status FROM grouped_bids ORDER BY id"
            ).all()
        assert [tuple(r) for r in rows] == [
            (1, '["a2", "a1"]', "a2", '["1", "2"]', "won"),
            (2, '["a3"]', None, "[]", "suggested"),
        ]
    finally:
        records.dispose()


def test_every_migration_goes_down_to_base_and_up_again(records_url: str) -> None:
    """On SQLite and on PostgreSQL: head builds the tables module's schema, every revision's
    downgrade runs down to an empty database, and head is reached again."""
    records = Records(records_url)
    try:
        records.engine  # noqa: B018 - first use migrates to head
        with records.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        _alembic(records, "downgrade", "base")
        assert set(inspect(records.engine).get_table_names()) <= {"alembic_version"}
        _alembic(records, "upgrade", "head")
        with records.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    finally:
        records.dispose()


def test_several_tasks_opening_a_fresh_database_at_once_migrate_it_once(tmp_path: Path) -> None:
    """The served weekly flow's collect tasks open the records together: their migrations must
    not collide (`table alembic_version already exists` failed a run before the lock)."""
    import threading

    from veilleuse.records.db import Records

    url = f"sqlite:///{tmp_path / 'records.sqlite3'}"
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def open_records() -> None:
        records = Records(url)
        try:
            start.wait()
            records.engine  # noqa: B018 - migrates on first use
        except BaseException as exc:
            errors.append(exc)
        finally:
            records.dispose()

    threads = [threading.Thread(target=open_records) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
