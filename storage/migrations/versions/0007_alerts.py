"""Alert rules (kind, params, state machine, cooldown, snooze, channels) and the alert events they fire.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_rules",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("symbol", sa.String(32), nullable=True),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False, server_default="active"),
        sa.Column("mode", sa.String(12), nullable=False, server_default="one_shot"),
        sa.Column("cooldown_minutes", sa.Integer, nullable=False, server_default="0"),
        sa.Column("snooze_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("channels", sa.JSON, nullable=False),
        sa.Column("last_fired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_value", sa.Float, nullable=True),
        sa.Column("last_bar_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("state IN ('active', 'triggered', 'acknowledged', 'disabled')",
                           name="ck_alert_rules_state"),
        sa.CheckConstraint("mode IN ('one_shot', 'repeating')", name="ck_alert_rules_mode"),
        sa.CheckConstraint("cooldown_minutes >= 0", name="ck_alert_rules_cooldown"),
    )
    op.create_index("ix_alert_rules_symbol", "alert_rules", ["symbol"])
    op.create_table(
        "alert_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("rule_id", sa.Integer, sa.ForeignKey("alert_rules.id", ondelete="CASCADE"), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("bar_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("value", sa.Float, nullable=True),
        sa.Column("message", sa.Text, nullable=False, server_default=""),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("rule_id", "bar_time", name="uq_alert_events_rule_bar"),
    )
    op.create_index("ix_alert_events_rule_id", "alert_events", ["rule_id"])
    op.create_index("ix_alert_events_fired_at", "alert_events", ["fired_at"])


def downgrade() -> None:
    op.drop_index("ix_alert_events_fired_at", table_name="alert_events")
    op.drop_index("ix_alert_events_rule_id", table_name="alert_events")
    op.drop_table("alert_events")
    op.drop_index("ix_alert_rules_symbol", table_name="alert_rules")
    op.drop_table("alert_rules")
