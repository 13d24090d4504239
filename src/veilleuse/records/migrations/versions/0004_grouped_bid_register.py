"""grouped-bid register: members, stages, coded outcomes, proposals; interests

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-16 09:00:00.000000

The grouped-bid register of issue 11 (`core.bids`, rules in `core.grouped_bids`):

- `grouped_bids`: `status` becomes `stage` (suggested → spotted, agreed → team_formed, the others
  keep their name), `amount` becomes `amount_won`; new columns kind, territory_id, title, form,
  contact_name, contact_email, documents, notes, loss_reason, loss_detail, from_suggestion,
  proposal, dismissed_awards. The JSON `members`, `lead` and `lots` move to
  `grouped_bid_members` (one row per actor: role, lots, share). The old register kept the bid's
  lots, not who took which: they all go to the lead (to the first member when none was named).
  A migrated bid's territory is its lead's (or first member's) territory, when assigned.
- `grouped_bid_events`: `status` becomes `to_stage` (same mapping); new `from_stage` (the
  previous event's stage, none for the first) and `reason`.
- `interests`: an actor said it is interested in a notice (unique actor × notice).

Columns are added, renamed and dropped in place (SQLite ≥ 3.35 and PostgreSQL both do it):
rebuilding `grouped_bids` the batch way would drop a table its events reference. The downgrade
puts the JSON columns back (stages mapped back: interest → suggested, team_formed → agreed,
unsuccessful → lost) and drops what this revision added.
"""

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UP = {"suggested": "spotted", "agreed": "team_formed"}
DOWN = {
    "spotted": "suggested",
    "interest": "suggested",
    "team_formed": "agreed",
    "unsuccessful": "lost",
}

bids = sa.table(
    "grouped_bids",
    sa.column("id", sa.Integer),
    sa.column("members", sa.JSON),
    sa.column("lead", sa.String),
    sa.column("lots", sa.JSON),
    sa.column("stage", sa.String),
    sa.column("territory_id", sa.String),
)
members = sa.table(
    "grouped_bid_members",
    sa.column("bid_id", sa.Integer),
    sa.column("actor_id", sa.String),
    sa.column("position", sa.Integer),
    sa.column("role", sa.String),
    sa.column("lots", sa.JSON),
    sa.column("share_percent", sa.Float),
)
events = sa.table(
    "grouped_bid_events",
    sa.column("id", sa.Integer),
    sa.column("bid_id", sa.Integer),
    sa.column("from_stage", sa.String),
    sa.column("to_stage", sa.String),
)
actor_territories = sa.table(
    "actor_territories", sa.column("actor_id", sa.String), sa.column("territory_id", sa.String)
)


def _rename_values(table: str, column: str, mapping: dict[str, str]) -> None:
    for old, new in mapping.items():
        op.execute(
            sa.text(f"UPDATE {table} SET {column} = :new WHERE {column} = :old").bindparams(
                new=new, old=old
            )
        )


def upgrade() -> None:
    op.create_table(
        "grouped_bid_members",
        sa.Column("bid_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("lots", sa.JSON(), nullable=False),
        sa.Column("share_percent", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["bid_id"], ["grouped_bids.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("bid_id", "actor_id"),
    )
    op.create_index(
        "ix_grouped_bid_members_actor_id", "grouped_bid_members", ["actor_id"], unique=False
    )
    op.create_table(
        "interests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("notice_uid", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["by_user_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("actor_id", "notice_uid"),
    )
    op.create_index("ix_interests_actor_id", "interests", ["actor_id"], unique=False)
    op.create_index("ix_interests_notice_uid", "interests", ["notice_uid"], unique=False)

    _upgrade_bids()
    _upgrade_events()


def _upgrade_bids() -> None:
    new_columns: list[sa.Column[Any]] = [
        sa.Column("kind", sa.String(length=16), server_default="tender", nullable=False),
        sa.Column("territory_id", sa.String(length=64), nullable=True),
        sa.Column("title", sa.String(length=500), server_default="", nullable=False),
        sa.Column("form", sa.String(length=16), nullable=True),
        sa.Column("contact_name", sa.String(length=200), nullable=True),
        sa.Column("contact_email", sa.String(length=320), nullable=True),
        sa.Column("documents", sa.JSON(), server_default="[]", nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("loss_reason", sa.String(length=32), nullable=True),
        sa.Column("loss_detail", sa.Text(), nullable=True),
        sa.Column("from_suggestion", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("proposal", sa.JSON(), nullable=True),
        sa.Column("dismissed_awards", sa.JSON(), server_default="[]", nullable=False),
    ]
    for column in new_columns:
        op.add_column("grouped_bids", column)
    op.alter_column("grouped_bids", "status", new_column_name="stage")
    op.alter_column("grouped_bids", "amount", new_column_name="amount_won")
    op.create_index("ix_grouped_bids_territory_id", "grouped_bids", ["territory_id"])
    op.create_index("ix_grouped_bids_stage", "grouped_bids", ["stage"])
    _rename_values("grouped_bids", "stage", UP)
    _move_members()
    for name in ("members", "lead", "lots"):
        op.drop_column("grouped_bids", name)


def _move_members() -> None:
    """The JSON team of each bid becomes member rows; the bid takes its lead's territory."""
    connection = op.get_bind()
    rows = connection.execute(sa.select(bids.c.id, bids.c.members, bids.c.lead, bids.c.lots))
    member_rows: list[dict[str, Any]] = []
    leads: dict[int, str] = {}
    for bid_id, listed, lead, lots in rows:
        ids = list(dict.fromkeys(str(a) for a in (listed or [])))
        if lead and lead not in ids:
            ids.insert(0, lead)
        if lead:
            ids.remove(lead)
            ids.insert(0, lead)
        carrier = lead or (ids[0] if ids else None)
        if carrier:
            leads[bid_id] = carrier
        for position, actor_id in enumerate(ids):
            member_rows.append(
                {
                    "bid_id": bid_id,
                    "actor_id": actor_id,
                    "position": position,
                    "role": "lead" if actor_id == lead else "cotraitant",
                    "lots": list(lots or []) if actor_id == carrier else [],
                    "share_percent": None,
                }
            )
    if member_rows:
        op.bulk_insert(members, member_rows)
    if leads:
        territory = dict(
            connection.execute(
                sa.select(actor_territories.c.actor_id, actor_territories.c.territory_id).where(
                    actor_territories.c.actor_id.in_(sorted(set(leads.values())))
                )
            ).all()
        )
        for bid_id, actor_id in leads.items():
            if actor_id in territory:
                connection.execute(
                    bids.update()
                    .where(bids.c.id == bid_id)
                    .values(territory_id=territory[actor_id])
                )


def _upgrade_events() -> None:
    op.alter_column("grouped_bid_events", "status", new_column_name="to_stage")
    op.add_column("grouped_bid_events", sa.Column("from_stage", sa.String(16), nullable=True))
    op.add_column("grouped_bid_events", sa.Column("reason", sa.String(32), nullable=True))
    _rename_values("grouped_bid_events", "to_stage", UP)
    connection = op.get_bind()
    previous: dict[int, str] = {}
    query = sa.select(events.c.id, events.c.bid_id, events.c.to_stage).order_by(events.c.id)
    for event_id, bid_id, stage in connection.execute(query).all():
        if bid_id in previous:
            connection.execute(
                events.update().where(events.c.id == event_id).values(from_stage=previous[bid_id])
            )
        previous[bid_id] = stage


def downgrade() -> None:
    op.add_column(
        "grouped_bids", sa.Column("members", sa.JSON(), server_default="[]", nullable=False)
    )
    op.add_column("grouped_bids", sa.Column("lead", sa.String(length=64), nullable=True))
    op.add_column("grouped_bids", sa.Column("lots", sa.JSON(), server_default="[]", nullable=False))
    connection = op.get_bind()
    team: dict[int, list[tuple[str, str, list[Any]]]] = defaultdict(list)
    query = sa.select(
        members.c.bid_id, members.c.actor_id, members.c.role, members.c.lots
    ).order_by(members.c.bid_id, members.c.position)
    for bid_id, actor_id, role, lots in connection.execute(query).all():
        team[bid_id].append((actor_id, role, list(lots or [])))
    for (bid_id,) in connection.execute(sa.select(bids.c.id)).all():
        listed = team.get(bid_id, [])
        lead = next((a for a, role, _ in listed if role == "lead"), None)
        lots = list(dict.fromkeys(lot for *_, member_lots in listed for lot in member_lots))
        connection.execute(
            bids.update()
            .where(bids.c.id == bid_id)
            .values(members=[a for a, *_ in listed], lead=lead, lots=lots)
        )
    _rename_values("grouped_bids", "stage", DOWN)
    _rename_values("grouped_bid_events", "to_stage", DOWN)
    op.drop_index("ix_grouped_bids_stage", table_name="grouped_bids")
    op.drop_index("ix_grouped_bids_territory_id", table_name="grouped_bids")
    op.alter_column("grouped_bids", "stage", new_column_name="status")
    op.alter_column("grouped_bids", "amount_won", new_column_name="amount")
    for name in (
        "kind",
        "territory_id",
        "title",
        "form",
        "contact_name",
        "contact_email",
        "documents",
        "notes",
        "loss_reason",
        "loss_detail",
        "from_suggestion",
        "proposal",
        "dismissed_awards",
    ):
        op.drop_column("grouped_bids", name)
    op.drop_column("grouped_bid_events", "reason")
    op.drop_column("grouped_bid_events", "from_stage")
    op.alter_column("grouped_bid_events", "to_stage", new_column_name="status")
    op.drop_index("ix_interests_notice_uid", table_name="interests")
    op.drop_index("ix_interests_actor_id", table_name="interests")
    op.drop_table("interests")
    op.drop_index("ix_grouped_bid_members_actor_id", table_name="grouped_bid_members")
    op.drop_table("grouped_bid_members")
