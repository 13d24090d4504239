"""leases: one run at a time per flow and territory

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-19 09:00:00.000000

Issue 13: `leases` holds the lease a run takes on its job name (e.g. `weekly:mel`) on SQLite, so
a scheduled run and a manual run of the same flow do not both send; PostgreSQL uses advisory
locks instead (no rows).
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("leases")
