"""reminders, introductions, the network's digest and delivery hygiene

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-18 09:00:00.000000

Issue 12 (second half):

- `digests` (the log of every e-mail sent to an actor) gets `kind` (digest, reminder, curated,
  introduction; existing rows are weekly digests), `attempts` (sends tried) and `address` (the
  recipient a mail server refused for good, set with the status `undeliverable`).
- `interests` gets `content_hash`: the notice's content when the actor said it was interested,
  so a reminder can say « modifié » when it changed since.
- `reminders`: the reminder log, one per actor × notice (the key), with the e-mail that carried
  it (a weekly digest or a reminder e-mail of `digests`).
- `introductions`: actors introduced to each other for a notice, one row per requester ×
  partner × notice, with the partner's answer (contact details are shared only between actors
  who both accepted).
- `curated_digests`: the network's digest — the officer's editorial, the notices picked and
  the audience (a territory, optionally families and CPV divisions); each actor's copy is a
  row of `digests` (kind `curated`) with its items in `digest_items`, the one send log.
- `undeliverable_addresses`: addresses a mail server refused permanently (5xx); skipped by
  every mailing until an officer clears them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "digests", sa.Column("kind", sa.String(length=16), server_default="digest", nullable=False)
    )
    op.add_column(
        "digests", sa.Column("attempts", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column("digests", sa.Column("address", sa.String(length=320), nullable=True))
    op.add_column("interests", sa.Column("content_hash", sa.String(length=64), nullable=True))

    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("notice_uid", sa.String(length=200), nullable=False),
        sa.Column("digest_id", sa.String(length=120), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("modified", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["digest_id"], ["digests.digest_id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("actor_id", "notice_uid", name="uq_reminder"),
    )
    op.create_index("ix_reminders_digest_id", "reminders", ["digest_id"], unique=False)

    op.create_table(
        "introductions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("notice_uid", sa.String(length=200), nullable=False),
        sa.Column("requester_id", sa.String(length=64), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("answer", sa.String(length=16), nullable=False),
        sa.Column("bid_id", sa.Integer(), nullable=True),
        sa.Column("digest_id", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["digest_id"], ["digests.digest_id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("notice_uid", "requester_id", "actor_id", name="uq_introduction"),
    )
    op.create_index("ix_introductions_actor_id", "introductions", ["actor_id"], unique=False)
    op.create_index(
        "ix_introductions_requester_id", "introductions", ["requester_id"], unique=False
    )

    op.create_table(
        "curated_digests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("territory_id", sa.String(length=64), nullable=False),
        sa.Column("families", sa.JSON(), nullable=False),
        sa.Column("cpv_divisions", sa.JSON(), nullable=False),
        sa.Column("editorial", sa.Text(), nullable=False),
        sa.Column("notice_uids", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["territory_id"], ["territories.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_curated_digests_territory_id", "curated_digests", ["territory_id"], unique=False
    )

    op.create_table(
        "undeliverable_addresses",
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("code", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("digest_id", sa.String(length=120), nullable=True),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cleared_by", sa.String(length=320), nullable=True),
        sa.PrimaryKeyConstraint("address"),
    )


def downgrade() -> None:
    op.drop_table("undeliverable_addresses")
    op.drop_index("ix_curated_digests_territory_id", table_name="curated_digests")
    op.drop_table("curated_digests")
    op.drop_index("ix_introductions_requester_id", table_name="introductions")
    op.drop_index("ix_introductions_actor_id", table_name="introductions")
    op.drop_table("introductions")
    op.drop_index("ix_reminders_digest_id", table_name="reminders")
    op.drop_table("reminders")
    op.drop_column("interests", "content_hash")
    op.drop_column("digests", "address")
    op.drop_column("digests", "attempts")
    op.drop_column("digests", "kind")
