"""Paper trading: deployments, orders, fills, positions, trade journal and equity snapshots.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_CASCADE = {"ondelete": "CASCADE"}


def _deployment_fk() -> sa.Column:
    return sa.Column("deployment_id", sa.Integer, sa.ForeignKey("paper_deployments.id", **_CASCADE), nullable=False)


def upgrade() -> None:
    op.create_table(
        "paper_deployments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("strategy", sa.String(64), nullable=False),
        sa.Column("params_json", sa.Text, nullable=False, server_default="{}"),
        sa.Column("symbols_json", sa.Text, nullable=False, server_default="[]"),
        sa.Column("interval", sa.String(8), nullable=False, server_default="1d"),
        sa.Column("config_json", sa.Text, nullable=False, server_default="{}"),
        sa.Column("risk_json", sa.Text, nullable=False, server_default="{}"),
        sa.Column("history_start", sa.BigInteger, nullable=False),
        sa.Column("start_ts", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(12), nullable=False, server_default="running"),
        sa.Column("version", sa.Integer, nullable=False, server_default="0"),
        sa.Column("state_json", sa.Text, nullable=False, server_default=""),
        sa.Column("last_bar_ts", sa.BigInteger, nullable=True),
        sa.Column("cash", sa.Float, nullable=False),
        sa.Column("equity", sa.Float, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_tick_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text, nullable=False, server_default=""),
        sa.CheckConstraint("status IN ('running', 'paused', 'stopped')", name="ck_paper_deployments_status"),
    )
    op.create_table(
        "paper_orders",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _deployment_fk(),
        sa.Column("key", sa.String(200), nullable=False, unique=True),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("intent", sa.String(24), nullable=False),
        sa.Column("order_type", sa.String(12), nullable=False, server_default="market"),
        sa.Column("qty", sa.Float, nullable=False, server_default="0"),
        sa.Column("limit_price", sa.Float, nullable=True),
        sa.Column("stop_price", sa.Float, nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("signal_ts", sa.BigInteger, nullable=False),
        sa.Column("fill_ts", sa.BigInteger, nullable=True),
        sa.Column("fill_price", sa.Float, nullable=True),
        sa.Column("filled_qty", sa.Float, nullable=False, server_default="0"),
        sa.Column("cost", sa.Float, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('NEW', 'OPEN', 'FILLED', 'PARTIAL', 'CANCELLED', 'REJECTED')",
                           name="ck_paper_orders_status"),
    )
    op.create_index("ix_paper_orders_deployment_id", "paper_orders", ["deployment_id"])
    op.create_table(
        "paper_fills",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("order_id", sa.Integer, sa.ForeignKey("paper_orders.id", **_CASCADE), nullable=False, unique=True),
        _deployment_fk(),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("qty", sa.Float, nullable=False),
        sa.Column("price", sa.Float, nullable=False),
        sa.Column("cost", sa.Float, nullable=False),
        sa.Column("ts", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_paper_fills_deployment_id", "paper_fills", ["deployment_id"])
    op.create_table(
        "paper_positions",
        sa.Column("deployment_id", sa.Integer, sa.ForeignKey("paper_deployments.id", **_CASCADE), primary_key=True),
        sa.Column("symbol", sa.String(32), primary_key=True),
        sa.Column("qty", sa.Float, nullable=False),
        sa.Column("avg_price", sa.Float, nullable=False),
        sa.Column("entry_ts", sa.BigInteger, nullable=False),
        sa.Column("entry_cost", sa.Float, nullable=False, server_default="0"),
        sa.Column("stop", sa.Float, nullable=True),
        sa.Column("target", sa.Float, nullable=True),
        sa.Column("trailing_stop", sa.Float, nullable=True),
        sa.Column("last_price", sa.Float, nullable=False),
        sa.Column("unrealised_pnl", sa.Float, nullable=False, server_default="0"),
    )
    op.create_table(
        "paper_trades",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _deployment_fk(),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("side", sa.String(5), nullable=False),
        sa.Column("entry_ts", sa.BigInteger, nullable=False),
        sa.Column("exit_ts", sa.BigInteger, nullable=False),
        sa.Column("entry_price", sa.Float, nullable=False),
        sa.Column("exit_price", sa.Float, nullable=False),
        sa.Column("qty", sa.Float, nullable=False),
        sa.Column("pnl", sa.Float, nullable=False),
        sa.Column("pnl_pct", sa.Float, nullable=False),
        sa.Column("costs", sa.Float, nullable=False),
        sa.Column("bars_held", sa.Integer, nullable=False),
        sa.Column("exit_reason", sa.String(16), nullable=False),
        sa.UniqueConstraint("deployment_id", "symbol", "entry_ts", "exit_ts", name="uq_paper_trades_round_trip"),
    )
    op.create_index("ix_paper_trades_deployment_id", "paper_trades", ["deployment_id"])
    op.create_table(
        "paper_equity",
        sa.Column("deployment_id", sa.Integer, sa.ForeignKey("paper_deployments.id", **_CASCADE), primary_key=True),
        sa.Column("ts", sa.BigInteger, primary_key=True),
        sa.Column("cash", sa.Float, nullable=False),
        sa.Column("equity", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("paper_equity")
    op.drop_index("ix_paper_trades_deployment_id", table_name="paper_trades")
    op.drop_table("paper_trades")
    op.drop_table("paper_positions")
    op.drop_index("ix_paper_fills_deployment_id", table_name="paper_fills")
    op.drop_table("paper_fills")
    op.drop_index("ix_paper_orders_deployment_id", table_name="paper_orders")
    op.drop_table("paper_orders")
    op.drop_table("paper_deployments")
