"""notice indexes, duplicate rates

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-14 09:00:00.000000

One notice's matches (the notice page, `records.matches.matches_of_notice`) and pushes
(`records.pushes.pushes_of_notice`) are read by notice uid, but the keys of both tables start with
the actor: without these indexes each read scanned the whole table. Feedback already had its
notice index; the send log (`digest_items`) is read by actor, or by actor and notice (its key).

`duplicate_rates`: the share of each source's notices also published by another, computed at the
end of the index stage, which the sources page used to recompute by scanning every stored notice.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_matches_notice_uid", "matches", ["notice_uid"], unique=False)
    op.create_index("ix_pushes_notice_uid", "pushes", ["notice_uid"], unique=False)
    op.create_table(
        "duplicate_rates",
        sa.Column("left", sa.String(length=80), nullable=False),
        sa.Column("right", sa.String(length=80), nullable=False),
        sa.Column("rate", sa.Float(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("left", "right"),
    )


def downgrade() -> None:
    op.drop_table("duplicate_rates")
    op.drop_index("ix_pushes_notice_uid", table_name="pushes")
    op.drop_index("ix_matches_notice_uid", table_name="matches")
