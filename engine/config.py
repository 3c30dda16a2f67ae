"""Settings: one frozen object built from the config file, then the environment (which wins)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WATCHLIST = (
    "RELIANCE.NS",
    "TCS.NS",
    "INFY.NS",
    "HDFCBANK.NS",
    "ICICIBANK.NS",
    "^NSEI",
    "AAPL",
    "BTC-USD",
)


def config_path() -> Path:
    """The TOML config file: $QUANTDESK_CONFIG, else quantdesk.toml at the project root."""
    return Path(os.environ.get("QUANTDESK_CONFIG", ROOT / "quantdesk.toml"))


class Settings(BaseSettings):
    """Quantdesk settings. Environment variables are QUANTDESK_<NAME> (DATABASE_URL also works)."""

    model_config = SettingsConfigDict(env_prefix="QUANTDESK_", frozen=True, extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{ROOT / 'data' / 'quantdesk.db'}",
        validation_alias=AliasChoices("QUANTDESK_DATABASE_URL", "DATABASE_URL", "database_url"),
    )
    watchlist: Annotated[tuple[str, ...], NoDecode] = DEFAULT_WATCHLIST  # env: comma-separated
    provider: str = "yfinance"  # yfinance | demo
    default_interval: str = "1d"
    history_start: str = "2015-01-01"
    demo_fallback: bool = True
    strategies_dir: Path = ROOT / "strategies"
    sync_overlap_bars: int = 3
    provider_min_interval_s: float = 0.5  # throttle between provider requests
    retry_attempts: int = 4
    retry_base_wait_s: float = 1.0
    scheduler: str = "thread"  # thread | worker | off
    sync_every_minutes: float = Field(default=15.0, gt=0)  # data sync cadence
    paper_every_minutes: float = Field(default=1.0, gt=0)  # paper tick cadence
    alert_every_minutes: float = Field(default=1.0, gt=0)  # alert-check cadence
    sync_after_close_minutes: float = Field(default=30.0, ge=0)  # keep syncing this long after a close
    lease_seconds: float = Field(default=60.0, gt=0)  # scheduler lease; a silent holder loses it after this
    misfire_grace_seconds: float = Field(default=60.0, gt=0)  # a run later than this is dropped
    job_runs_keep_days: int = Field(default=30, ge=1)  # older job-run records are pruned
    # sentiment model: auto = FinBERT when torch, transformers and the weights load, else the finance lexicon
    sentiment_backend: str = Field(default="auto", pattern="^(auto|finbert|lexicon)$")  # auto | finbert | lexicon
    sentiment_model: str = "ProsusAI/finbert"  # Hugging Face model id or a local model directory
    sentiment_batch_size: int = Field(default=16, ge=1, le=1024)  # texts per transformer batch
    sentiment_quantize: bool = True  # FinBERT with int8 Linear layers (~2x faster on CPU); fp32 if it fails

    # news & sentiment index: Yahoo ticker news for the watchlist plus these RSS/Atom feeds (env: comma-separated)
    news_every_minutes: float = Field(default=30.0, gt=0)  # news fetch + scoring cadence
    news_feeds: Annotated[tuple[str, ...], NoDecode] = (
        "https://economictimes.indiatimes.com/markets/rssfeeds/1977021501.cms",  # Economic Times: Markets
        "https://economictimes.indiatimes.com/markets/stocks/rssfeeds/2146842.cms",  # Economic Times: Stocks
        "https://www.moneycontrol.com/rss/marketreports.xml",  # Moneycontrol: Market reports
        "https://www.moneycontrol.com/rss/business.xml",  # Moneycontrol: Business
    )
    news_timeout_s: float = Field(default=10.0, gt=0)  # per feed request
    news_yfinance: bool = True  # also fetch Yahoo Finance news per watched symbol

    # notifications: channel secrets are Fernet-encrypted with secret_key (a Fernet key or any passphrase);
    # unset → a key generated into secret_key_file (default: secret.key beside the SQLite database, mode 0600)
    secret_key: str = Field(default="", repr=False)
    secret_key_file: Path | None = None
    notify_attempts: int = Field(default=3, ge=1, le=10)  # tries per channel and notification
    notify_retry_wait_s: float = Field(default=2.0, ge=0)  # first wait between tries; doubles each retry
    notify_timeout_s: float = Field(default=5.0, gt=0)  # connect and read timeout of one delivery try
    auth_required: bool | None = None  # login: true forces it on, false off; unset = on unless loopback (README Login)

    # defaults for new backtests and paper deployments (Settings → Risk & costs); 0 switches a limit off
    default_costs: str = "pct:0.1"  # cost spec of engine.costs.make_cost_model: pct:0.1, flat:20, nse_delivery, …
    default_slippage_bps: float = Field(default=5.0, ge=0, le=500)
    default_max_open_positions: int = Field(default=0, ge=0, le=100)
    default_max_position_pct: float = Field(default=0.0, ge=0, le=100)  # of starting capital, per position
    default_max_sector_pct: float = Field(default=0.0, ge=0, le=100)  # gross sector value, % of equity
    default_daily_loss_pct: float = Field(default=0.0, ge=0, le=100)  # circuit breaker: loss since day start
    default_max_drawdown_pct: float = Field(default=0.0, ge=0, le=100)  # circuit breaker: fall from peak
    default_losing_streak: int = Field(default=0, ge=0, le=100)  # circuit breaker: losing trades in a row

    @field_validator("default_costs")
    @classmethod
    def _known_costs(cls, v: str) -> str:
        from engine.costs import make_cost_model  # imported here: the charges schedule loads on import
        from engine.errors import QuantdeskError

        try:
            make_cost_model(v)
        except QuantdeskError as exc:
            raise ValueError(str(exc)) from exc
        return v.strip().lower()

    @field_validator("news_feeds", mode="before")
    @classmethod
    def _split_feeds(cls, v: object) -> object:
        if isinstance(v, str):
            return tuple(s.strip() for s in v.split(",") if s.strip())
        return v

    @field_validator("watchlist", mode="before")
    @classmethod
    def _split_watchlist(cls, v: object) -> object:
        if isinstance(v, str):
            return tuple(s.strip().upper() for s in v.split(",") if s.strip())
        return v

    @field_validator("strategies_dir")
    @classmethod
    def _relative_to_root(cls, v: Path) -> Path:
        return v if v.is_absolute() else ROOT / v

    @field_validator("provider")
    @classmethod
    def _known_provider(cls, v: str) -> str:
        if v not in {"yfinance", "demo"}:
            raise ValueError(f"provider must be 'yfinance' or 'demo', not {v!r}")
        return v

    @field_validator("scheduler")
    @classmethod
    def _known_scheduler(cls, v: str) -> str:
        if v not in {"thread", "worker", "off"}:
            raise ValueError(f"scheduler must be 'thread', 'worker' or 'off', not {v!r}")
        return v

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_path())
        return (init_settings, env_settings, toml)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (call `get_settings.cache_clear()` after changing the environment)."""
    return Settings()
