"""Initial schema: instruments, candles, sync runs.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "instruments",
        sa.Column("symbol", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, server_default=""),
        sa.Column("exchange", sa.String(16), nullable=False, server_default=""),
        sa.Column("currency", sa.String(8), nullable=False, server_default=""),
        sa.Column("timezone", sa.String(48), nullable=False, server_default="UTC"),
        sa.Column("sector", sa.String(64), nullable=False, server_default=""),
        sa.Column("asset_class", sa.String(16), nullable=False, server_default="equity"),
        sa.Column("lot_size", sa.Integer, nullable=False, server_default="1"),
        sa.CheckConstraint("lot_size >= 1", name="ck_instruments_lot_size"),
    )
    op.create_table(
        "candles",
        sa.Column("symbol", sa.String(32), primary_key=True),
        sa.Column("interval", sa.String(8), primary_key=True),
        sa.Column("ts", sa.BigInteger, primary_key=True),
        sa.Column("open", sa.Float, nullable=False),
        sa.Column("high", sa.Float, nullable=False),
        sa.Column("low", sa.Float, nullable=False),
        sa.Column("close", sa.Float, nullable=False),
        sa.Column("adj_close", sa.Float, nullable=False),
        sa.Column("volume", sa.Float, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.CheckConstraint("high >= open AND high >= close AND high >= low", name="ck_candles_high"),
        sa.CheckConstraint("low <= open AND low <= close", name="ck_candles_low"),
        sa.CheckConstraint("low > 0", name="ck_candles_positive"),
        sa.CheckConstraint("volume >= 0", name="ck_candles_volume"),
    )
    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("symbol", sa.String(32), nullable=False, index=True),
        sa.Column("interval", sa.String(8), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("rows", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error", sa.Text, nullable=False, server_default=""),
    )


def downgrade() -> None:
    op.drop_table("sync_runs")
    op.drop_table("candles")
    op.drop_table("instruments")
