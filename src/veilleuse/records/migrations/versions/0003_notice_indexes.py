"""notice indexes

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-14 09:00:00.000000

One notice's matches (the notice page, `records.matches.matches_of_notice`) and pushes
(`records.pushes.pushes_of_notice`) are read by notice uid, but the keys of both tables start with
the actor: without these indexes each read scanned the whole table. Feedback already had its
notice index; the send log (`digest_items`) is read by actor, or by actor and notice (its key).
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_matches_notice_uid", "matches", ["notice_uid"], unique=False)
    op.create_index("ix_pushes_notice_uid", "pushes", ["notice_uid"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_pushes_notice_uid", table_name="pushes")
    op.drop_index("ix_matches_notice_uid", table_name="matches")
