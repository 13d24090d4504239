"""plan targets

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-17 09:00:00.000000

`plan_targets`: the targets of a territory's local ESS plan that the steering committee's
statistics are compared with (issue 11): a value of a metric over a period of whole days (a
calendar year for a yearly target), one per territory, period and metric; removed with their
territory.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plan_targets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("territory_id", sa.String(length=64), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=320), nullable=True),
        sa.ForeignKeyConstraint(["territory_id"], ["territories.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "territory_id", "starts_on", "ends_on", "metric", name="uq_plan_target"
        ),
    )
    op.create_index("ix_plan_targets_territory_id", "plan_targets", ["territory_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_plan_targets_territory_id", table_name="plan_targets")
    op.drop_table("plan_targets")
