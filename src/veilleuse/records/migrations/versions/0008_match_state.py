"""match_state and match_runs: what the incremental match stage has scored

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 13:35:00.000000

Issue 14: `match_state` keeps, per notice and per actor, the hash it was last scored at (the
notice's content hash or the actor's profile hash, each with the matching version), so a weekly
run scores only new or changed notices against every actor and changed actors against open
notices; `match_runs` says what each run scored.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "match_state",
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("ident", sa.String(length=200), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "ident"),
    )
    op.create_table(
        "match_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("actors", sa.Integer(), nullable=False),
        sa.Column("notices", sa.Integer(), nullable=False),
        sa.Column("changed_actors", sa.Integer(), nullable=False),
        sa.Column("new_notices", sa.Integer(), nullable=False),
        sa.Column("matches", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("match_runs")
    op.drop_table("match_state")
