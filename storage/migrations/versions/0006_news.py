"""News items, their symbols, per-model sentiment scores and the daily per-symbol sentiment index.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "news_items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("uid", sa.String(64), nullable=False, unique=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=False, server_default=""),
        sa.Column("link", sa.Text, nullable=False, server_default=""),
        sa.Column("source", sa.String(120), nullable=False, server_default=""),
        sa.Column("publisher", sa.String(120), nullable=False, server_default=""),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_news_items_published_at", "news_items", ["published_at"])
    op.create_table(
        "news_symbols",
        sa.Column("news_id", sa.Integer, sa.ForeignKey("news_items.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("symbol", sa.String(32), primary_key=True),
    )
    op.create_index("ix_news_symbols_symbol", "news_symbols", ["symbol"])
    op.create_table(
        "sentiment_scores",
        sa.Column("news_id", sa.Integer, sa.ForeignKey("news_items.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("model", sa.String(64), primary_key=True),
        sa.Column("label", sa.String(8), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("label IN ('positive', 'negative', 'neutral')", name="ck_sentiment_scores_label"),
        sa.CheckConstraint("score >= -1 AND score <= 1", name="ck_sentiment_scores_score"),
        sa.CheckConstraint("confidence >= 0 AND confidence <= 1", name="ck_sentiment_scores_confidence"),
    )
    op.create_table(
        "sentiment_daily",
        sa.Column("symbol", sa.String(32), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("model", sa.String(64), primary_key=True),
        sa.Column("mean", sa.Float, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("pos_share", sa.Float, nullable=False),
        sa.Column("neg_share", sa.Float, nullable=False),
        sa.CheckConstraint("count >= 1", name="ck_sentiment_daily_count"),
    )


def downgrade() -> None:
    op.drop_table("sentiment_daily")
    op.drop_table("sentiment_scores")
    op.drop_index("ix_news_symbols_symbol", table_name="news_symbols")
    op.drop_table("news_symbols")
    op.drop_index("ix_news_items_published_at", table_name="news_items")
    op.drop_table("news_items")
