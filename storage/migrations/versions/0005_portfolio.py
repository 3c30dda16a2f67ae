"""Portfolios and their transactions (buys, sells, dividends, splits, bonuses).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portfolios",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("base_currency", sa.String(8), nullable=False, server_default="INR"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "transactions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("portfolio_id", sa.Integer, sa.ForeignKey("portfolios.id", ondelete="CASCADE"), nullable=False),
        sa.Column("trade_date", sa.Date, nullable=False),
        sa.Column("executed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("qty", sa.Float, nullable=False, server_default="0"),
        sa.Column("price", sa.Float, nullable=False, server_default="0"),
        sa.Column("fees", sa.Float, nullable=False, server_default="0"),
        sa.Column("amount", sa.Float, nullable=False, server_default="0"),
        sa.Column("ratio_from", sa.Float, nullable=True),
        sa.Column("ratio_to", sa.Float, nullable=True),
        sa.Column("currency", sa.String(8), nullable=False, server_default=""),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("source", sa.String(16), nullable=False, server_default="manual"),
        sa.Column("external_id", sa.String(100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('buy', 'sell', 'dividend', 'split', 'bonus')", name="ck_transactions_kind"),
        sa.CheckConstraint("source IN ('manual', 'zerodha', 'upstox', 'csv')", name="ck_transactions_source"),
        sa.CheckConstraint("kind NOT IN ('buy', 'sell') OR qty > 0", name="ck_transactions_trade_qty"),
        sa.CheckConstraint("qty >= 0 AND price >= 0 AND fees >= 0 AND amount >= 0",
                           name="ck_transactions_non_negative"),
        sa.CheckConstraint("kind NOT IN ('split', 'bonus') OR (ratio_from IS NOT NULL AND ratio_to IS NOT NULL "
                           "AND ratio_from > 0 AND ratio_to > 0)",
                           name="ck_transactions_ratio"),
        sa.UniqueConstraint("portfolio_id", "source", "external_id", name="uq_transactions_external_id"),
    )
    op.create_index("ix_transactions_portfolio_id", "transactions", ["portfolio_id"])


def downgrade() -> None:
    op.drop_index("ix_transactions_portfolio_id", table_name="transactions")
    op.drop_table("transactions")
    op.drop_table("portfolios")
