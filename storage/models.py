"""ORM models. Timestamps of bars are UTC epoch seconds (unambiguous, fast to index and compare)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Instrument(Base):
    __tablename__ = "instruments"

    symbol: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    exchange: Mapped[str] = mapped_column(String(16), default="")
    currency: Mapped[str] = mapped_column(String(8), default="")
    timezone: Mapped[str] = mapped_column(String(48), default="UTC")
    sector: Mapped[str] = mapped_column(String(64), default="")
    asset_class: Mapped[str] = mapped_column(String(16), default="equity")
    lot_size: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (CheckConstraint("lot_size >= 1", name="ck_instruments_lot_size"),)


class Candle(Base):
    """One bar. Daily bars are labelled by their session date (00:00 UTC of that date)."""

    __tablename__ = "candles"

    symbol: Mapped[str] = mapped_column(String(32), primary_key=True)
    interval: Mapped[str] = mapped_column(String(8), primary_key=True)
    ts: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # UTC epoch seconds
    open: Mapped[float] = mapped_column(Float)
    high: Mapped[float] = mapped_column(Float)
    low: Mapped[float] = mapped_column(Float)
    close: Mapped[float] = mapped_column(Float)
    adj_close: Mapped[float] = mapped_column(Float)  # split/dividend-adjusted close
    volume: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(16))  # yfinance | csv | demo

    __table_args__ = (
        CheckConstraint("high >= open AND high >= close AND high >= low", name="ck_candles_high"),
        CheckConstraint("low <= open AND low <= close", name="ck_candles_low"),
        CheckConstraint("low > 0", name="ck_candles_positive"),
        CheckConstraint("volume >= 0", name="ck_candles_volume"),
    )


class SyncRun(Base):
    __tablename__ = "sync_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    symbol: Mapped[str] = mapped_column(String(32), index=True)
    interval: Mapped[str] = mapped_column(String(8))
    provider: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    status: Mapped[str] = mapped_column(String(12))  # running | ok | failed | skipped
    rows: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")


class BacktestRun(Base):
    """A saved backtest: what was run (strategy, params, symbols, config) and its result as JSON."""

    __tablename__ = "backtest_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    name: Mapped[str] = mapped_column(String(200))
    strategy: Mapped[str] = mapped_column(String(64), index=True)
    params_json: Mapped[str] = mapped_column(Text, default="{}")
    symbols_json: Mapped[str] = mapped_column(Text, default="[]")
    config_json: Mapped[str] = mapped_column(Text, default="{}")
    stats_json: Mapped[str] = mapped_column(Text, default="{}")
    result_json: Mapped[str] = mapped_column(Text, default="")  # BacktestResult.to_json()


class JobRun(Base):
    """One run of a scheduler job: when it started and finished, how it ended, and which scheduler ran it."""

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    status: Mapped[str] = mapped_column(String(12))  # running | ok | failed | skipped
    error: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str] = mapped_column(String(128), default="")

    __table_args__ = (
        CheckConstraint("status IN ('running', 'ok', 'failed', 'skipped')", name="ck_job_runs_status"),
    )


class SchedulerLease(Base):
    """The named lease a scheduler must hold to run jobs; it lapses at `expires_at` unless renewed."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PaperDeployment(Base):
    """A strategy + params + symbols + capital running in paper mode; `state_json` is its book.

    `version` grows by one with every committed tick (optimistic concurrency); bar times are epoch seconds.
    """

    __tablename__ = "paper_deployments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    strategy: Mapped[str] = mapped_column(String(64))
    params_json: Mapped[str] = mapped_column(Text, default="{}")
    symbols_json: Mapped[str] = mapped_column(Text, default="[]")
    interval: Mapped[str] = mapped_column(String(8), default="1d")
    config_json: Mapped[str] = mapped_column(Text, default="{}")  # BacktestConfig.to_dict()
    risk_json: Mapped[str] = mapped_column(Text, default="{}")
    history_start: Mapped[int] = mapped_column(BigInteger)  # first bar the signals are computed from
    start_ts: Mapped[int] = mapped_column(BigInteger)  # first bar that may trade
    status: Mapped[str] = mapped_column(String(12), default="running")
    version: Mapped[int] = mapped_column(Integer, default=0)
    state_json: Mapped[str] = mapped_column(Text, default="")
    last_bar_ts: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    cash: Mapped[float] = mapped_column(Float)
    equity: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_tick_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        CheckConstraint("status IN ('running', 'paused', 'stopped')", name="ck_paper_deployments_status"),
    )


class PaperOrder(Base):
    """A paper order; `key` (deployment, symbol, bar, intent) is unique so a repeated tick cannot duplicate it."""

    __tablename__ = "paper_orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("paper_deployments.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    symbol: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(4))  # buy | sell
    intent: Mapped[str] = mapped_column(String(24))  # entry_long, entry_short, exit_signal, exit_stop, ...
    order_type: Mapped[str] = mapped_column(String(12), default="market")  # market | limit | stop | stop_limit
    qty: Mapped[float] = mapped_column(Float, default=0.0)
    limit_price: Mapped[float | None] = mapped_column(Float, nullable=True)
    stop_price: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text, default="")
    signal_ts: Mapped[int] = mapped_column(BigInteger)  # bar whose close produced the order
    fill_ts: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    fill_price: Mapped[float | None] = mapped_column(Float, nullable=True)
    filled_qty: Mapped[float] = mapped_column(Float, default=0.0)
    cost: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("status IN ('NEW', 'OPEN', 'FILLED', 'PARTIAL', 'CANCELLED', 'REJECTED')",
                        name="ck_paper_orders_status"),
    )


class PaperFill(Base):
    """One execution of a paper order at a traded price (slippage included) with its costs."""

    __tablename__ = "paper_fills"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("paper_orders.id", ondelete="CASCADE"), unique=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("paper_deployments.id", ondelete="CASCADE"), index=True)
    symbol: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(4))
    qty: Mapped[float] = mapped_column(Float)
    price: Mapped[float] = mapped_column(Float)
    cost: Mapped[float] = mapped_column(Float)
    ts: Mapped[int] = mapped_column(BigInteger)  # bar of the fill


class PaperPosition(Base):
    """An open paper position (signed qty) with its average price, levels and P&L at the last mark."""

    __tablename__ = "paper_positions"

    deployment_id: Mapped[int] = mapped_column(ForeignKey("paper_deployments.id", ondelete="CASCADE"),
                                               primary_key=True)
    symbol: Mapped[str] = mapped_column(String(32), primary_key=True)
    qty: Mapped[float] = mapped_column(Float)
    avg_price: Mapped[float] = mapped_column(Float)
    entry_ts: Mapped[int] = mapped_column(BigInteger)
    entry_cost: Mapped[float] = mapped_column(Float, default=0.0)
    stop: Mapped[float | None] = mapped_column(Float, nullable=True)
    target: Mapped[float | None] = mapped_column(Float, nullable=True)
    trailing_stop: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_price: Mapped[float] = mapped_column(Float)
    unrealised_pnl: Mapped[float] = mapped_column(Float, default=0.0)


class PaperTrade(Base):
    """A closed paper round trip (the trade journal); P&L is after costs."""

    __tablename__ = "paper_trades"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("paper_deployments.id", ondelete="CASCADE"), index=True)
    symbol: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(5))
    entry_ts: Mapped[int] = mapped_column(BigInteger)
    exit_ts: Mapped[int] = mapped_column(BigInteger)
    entry_price: Mapped[float] = mapped_column(Float)
    exit_price: Mapped[float] = mapped_column(Float)
    qty: Mapped[float] = mapped_column(Float)
    pnl: Mapped[float] = mapped_column(Float)
    pnl_pct: Mapped[float] = mapped_column(Float)
    costs: Mapped[float] = mapped_column(Float)
    bars_held: Mapped[int] = mapped_column(Integer)
    exit_reason: Mapped[str] = mapped_column(String(16))

    __table_args__ = (UniqueConstraint("deployment_id", "symbol", "entry_ts", "exit_ts", name="uq_paper_trades_round_trip"),)


class PaperEquity(Base):
    """Cash and equity of a deployment after one bar (marked at the last known closes)."""

    __tablename__ = "paper_equity"

    deployment_id: Mapped[int] = mapped_column(ForeignKey("paper_deployments.id", ondelete="CASCADE"),
                                               primary_key=True)
    ts: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    cash: Mapped[float] = mapped_column(Float)
    equity: Mapped[float] = mapped_column(Float)


TRANSACTION_KINDS = ("buy", "sell", "dividend", "split", "bonus")
TRANSACTION_SOURCES = ("manual", "zerodha", "upstox", "csv")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Portfolio(Base):
    """A named book of holdings built from its transactions; amounts are in `base_currency`."""

    __tablename__ = "portfolios"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    base_currency: Mapped[str] = mapped_column(String(8), default="INR")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Transaction(Base):
    """One buy, sell, dividend, split or bonus of a portfolio.

    `trade_date` is the session date (exchange-local); `executed_at` the exact UTC time when known.
    Buys/sells: `qty` shares at `price`, `fees` extra. Dividends: `amount` of cash (net of `fees`).
    Splits: `ratio_from` shares become `ratio_to`; bonus: `ratio_to` new shares per `ratio_from` held.
    `external_id` (e.g. date, exchange and trade id from a broker tradebook) makes re-imports idempotent.
    """

    __tablename__ = "transactions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    portfolio_id: Mapped[int] = mapped_column(ForeignKey("portfolios.id", ondelete="CASCADE"), index=True)
    trade_date: Mapped[date] = mapped_column(Date)
    executed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    symbol: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(10))
    qty: Mapped[float] = mapped_column(Float, default=0.0)
    price: Mapped[float] = mapped_column(Float, default=0.0)
    fees: Mapped[float] = mapped_column(Float, default=0.0)
    amount: Mapped[float] = mapped_column(Float, default=0.0)
    ratio_from: Mapped[float | None] = mapped_column(Float, nullable=True)
    ratio_to: Mapped[float | None] = mapped_column(Float, nullable=True)
    currency: Mapped[str] = mapped_column(String(8), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16), default="manual")
    external_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(_in("kind", TRANSACTION_KINDS), name="ck_transactions_kind"),
        CheckConstraint(_in("source", TRANSACTION_SOURCES), name="ck_transactions_source"),
        CheckConstraint("kind NOT IN ('buy', 'sell') OR qty > 0", name="ck_transactions_trade_qty"),
        CheckConstraint("qty >= 0 AND price >= 0 AND fees >= 0 AND amount >= 0",
                        name="ck_transactions_non_negative"),
        CheckConstraint("kind NOT IN ('split', 'bonus') OR (ratio_from IS NOT NULL AND ratio_to IS NOT NULL "
                        "AND ratio_from > 0 AND ratio_to > 0)",
                        name="ck_transactions_ratio"),
        UniqueConstraint("portfolio_id", "source", "external_id", name="uq_transactions_external_id"),
    )


SENTIMENT_LABELS = ("positive", "negative", "neutral")


class NewsItem(Base):
    """One headline from a news source; `uid` hashes the normalised title + link so re-fetches dedupe.

    `source` is where it was fetched from ("yfinance" or the feed's name); `publisher` who wrote it.
    """

    __tablename__ = "news_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uid: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(120), default="")
    publisher: Mapped[str] = mapped_column(String(120), default="")
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class NewsSymbol(Base):
    """A symbol a news item is about (an item may be about several)."""

    __tablename__ = "news_symbols"

    news_id: Mapped[int] = mapped_column(ForeignKey("news_items.id", ondelete="CASCADE"), primary_key=True)
    symbol: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)


class SentimentScore(Base):
    """One model's sentiment of one news item: `score` is signed in [-1, 1] (P(positive) - P(negative))."""

    __tablename__ = "sentiment_scores"

    news_id: Mapped[int] = mapped_column(ForeignKey("news_items.id", ondelete="CASCADE"), primary_key=True)
    model: Mapped[str] = mapped_column(String(64), primary_key=True)
    label: Mapped[str] = mapped_column(String(8))
    score: Mapped[float] = mapped_column(Float)
    confidence: Mapped[float] = mapped_column(Float)
    scored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(_in("label", SENTIMENT_LABELS), name="ck_sentiment_scores_label"),
        CheckConstraint("score >= -1 AND score <= 1", name="ck_sentiment_scores_score"),
        CheckConstraint("confidence >= 0 AND confidence <= 1", name="ck_sentiment_scores_confidence"),
    )


class SentimentDaily(Base):
    """The daily sentiment index of a symbol under one model: mean score, item count, label shares (0..1).

    `day` is the UTC calendar day the news was published.
    """

    __tablename__ = "sentiment_daily"

    symbol: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    model: Mapped[str] = mapped_column(String(64), primary_key=True)
    mean: Mapped[float] = mapped_column(Float)
    count: Mapped[int] = mapped_column(Integer)
    pos_share: Mapped[float] = mapped_column(Float)
    neg_share: Mapped[float] = mapped_column(Float)

    __table_args__ = (CheckConstraint("count >= 1", name="ck_sentiment_daily_count"),)


ALERT_STATES = ("active", "triggered", "acknowledged", "disabled")
ALERT_MODES = ("one_shot", "repeating")


class AlertRule(Base):
    """A condition watched by the alert check: `kind` + validated `params` (JSON) on a symbol (or none).

    State: active -> triggered (an event was stored) -> acknowledged (by the user) -> active again for
    repeating rules once `cooldown_minutes` have passed since `last_fired_at`; one_shot rules wait to be
    re-armed. A rule snoozed until a future `snooze_until` never fires. `last_bar_time` is the newest bar
    (or observation) already evaluated, so a condition is reported once, on the bar it happened.
    """

    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    symbol: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="active")
    mode: Mapped[str] = mapped_column(String(12), default="one_shot")
    cooldown_minutes: Mapped[int] = mapped_column(Integer, default=0)
    snooze_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    channels: Mapped[list] = mapped_column(JSON, default=list)  # external channel names; [] = in-app only
    last_fired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_bar_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(_in("state", ALERT_STATES), name="ck_alert_rules_state"),
        CheckConstraint(_in("mode", ALERT_MODES), name="ck_alert_rules_mode"),
        CheckConstraint("cooldown_minutes >= 0", name="ck_alert_rules_cooldown"),
    )


class AlertEvent(Base):
    """One firing of an alert rule: on which bar (or observation time), the value seen and the message.

    Unique per rule and bar time, so a condition that stays true (or two overlapping checks) stores one event.
    """

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rules.id", ondelete="CASCADE"), index=True)
    fired_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    bar_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    message: Mapped[str] = mapped_column(Text, default="")
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (UniqueConstraint("rule_id", "bar_time", name="uq_alert_events_rule_bar"),)


NOTIFICATION_SEVERITIES = ("info", "success", "warning", "critical")
CHANNEL_KINDS = ("email", "telegram", "webhook", "slack", "discord", "ntfy", "apprise_url")
DELIVERY_STATUSES = ("ok", "failed", "rate_limited")


class Notification(Base):
    """An in-app notification (the sidebar bell): what raised it (`source`: alert, job, test…) and its row there."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str] = mapped_column(String(12), default="info")
    source: Mapped[str] = mapped_column(String(32), default="alert")
    ref_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (CheckConstraint(_in("severity", NOTIFICATION_SEVERITIES), name="ck_notifications_severity"),)


class NotificationChannel(Base):
    """An external channel (email, Telegram, webhook…): non-secret `config` in JSON, secrets Fernet-encrypted.

    `rate_limit_per_hour` caps successful deliveries in any rolling hour (0 = no cap); past it a notification
    stays in-app only and the attempt is logged as rate_limited.
    """

    __tablename__ = "notification_channels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    config: Mapped[dict] = mapped_column(JSON, default=dict)
    secret_encrypted: Mapped[str] = mapped_column(Text, default="")  # Fernet token of a JSON object; "" = none
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    rate_limit_per_hour: Mapped[int] = mapped_column(Integer, default=30)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(_in("kind", CHANNEL_KINDS), name="ck_notification_channels_kind"),
        CheckConstraint("rate_limit_per_hour >= 0", name="ck_notification_channels_rate_limit"),
    )


class DeliveryAttempt(Base):
    """One try at delivering a notification (or a channel test, notification_id NULL) through one channel."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    notification_id: Mapped[int | None] = mapped_column(
        ForeignKey("notifications.id", ondelete="SET NULL"), nullable=True, index=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("notification_channels.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(12))
    error: Mapped[str] = mapped_column(Text, default="")  # secrets scrubbed
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)

    __table_args__ = (
        CheckConstraint(_in("status", DELIVERY_STATUSES), name="ck_delivery_attempts_status"),
        CheckConstraint("attempt >= 1", name="ck_delivery_attempts_attempt"),
    )


class LoginAttempt(Base):
    """One login try (`ok` true on success); the rate limiter counts failures per username since its last success."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ok: Mapped[bool] = mapped_column(Boolean)
    client: Mapped[str] = mapped_column(String(64), default="")  # remote address as Streamlit saw it, or "cli"

    __table_args__ = (Index("ix_login_attempts_username_at", "username", "at"),)
