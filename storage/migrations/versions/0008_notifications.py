"""In-app notifications, external notification channels (secrets encrypted) and their delivery attempts.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("severity", sa.String(12), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("ref_id", sa.Integer, nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("severity IN ('info', 'success', 'warning', 'critical')",
                           name="ck_notifications_severity"),
    )
    op.create_index("ix_notifications_created_at", "notifications", ["created_at"])
    op.create_table(
        "notification_channels",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("config", sa.JSON, nullable=False),
        sa.Column("secret_encrypted", sa.Text, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("rate_limit_per_hour", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('email', 'telegram', 'webhook', 'slack', 'discord', 'ntfy', 'apprise_url')",
                           name="ck_notification_channels_kind"),
        sa.CheckConstraint("rate_limit_per_hour >= 0", name="ck_notification_channels_rate_limit"),
    )
    op.create_table(
        "delivery_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("notification_id", sa.Integer, sa.ForeignKey("notifications.id", ondelete="SET NULL"),
                  nullable=True),
        sa.Column("channel_id", sa.Integer, sa.ForeignKey("notification_channels.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('ok', 'failed', 'rate_limited')", name="ck_delivery_attempts_status"),
        sa.CheckConstraint("attempt >= 1", name="ck_delivery_attempts_attempt"),
    )
    op.create_index("ix_delivery_attempts_notification_id", "delivery_attempts", ["notification_id"])
    op.create_index("ix_delivery_attempts_channel_id", "delivery_attempts", ["channel_id"])
    op.create_index("ix_delivery_attempts_at", "delivery_attempts", ["at"])


def downgrade() -> None:
    op.drop_index("ix_delivery_attempts_at", table_name="delivery_attempts")
    op.drop_index("ix_delivery_attempts_channel_id", table_name="delivery_attempts")
    op.drop_index("ix_delivery_attempts_notification_id", table_name="delivery_attempts")
    op.drop_table("delivery_attempts")
    op.drop_table("notification_channels")
    op.drop_index("ix_notifications_created_at", table_name="notifications")
    op.drop_table("notifications")
