"""Overview snapshot: equity and day P&L per currency, open positions, alerts, breakers, data and job health."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
from sqlalchemy import Engine

from engine.data.freshness import STATUSES, age, freshness
from engine.data.instruments import instrument_for
from engine.errors import DataError
from engine.jobs import LEASE_NAME
from engine.paper.deployments import breaker_states
from engine.portfolio import build_report, portfolio_names, value_series
from engine.portfolio.nav import day_change
from engine.portfolio.report import PortfolioReport, stored_closes
from engine.scheduler import JOBS
from storage import overview as store
from storage.alerts import events_frame
from storage.candles import DEMO
from storage.paper import list_deployments, positions_frame
from storage.scheduler_runs import get_lease, recent_job_runs
from storage.sync_runs import last_runs

SPARK_BARS = 60  # closes per sparkline
LATEST_EVENTS = 5
POSITION_COLUMNS = ["book", "symbol", "qty", "avg_price", "last_price", "pnl", "pnl_pct", "currency"]
BOOK_COLUMNS = ["kind", "name", "currency", "equity", "day_pnl", "as_of"]
DATA_COLUMNS = ["symbol", "interval", "last_bar", "age", "status", "source", "closes", "error"]
JOB_COLUMNS = ["job", "started_at", "status", "duration_s", "note", "last_error", "last_error_at"]


@dataclass(frozen=True)
class CurrencyTotal:
    """Equity and the latest session's P&L of every book in one currency (nothing is converted)."""

    currency: str
    equity: float
    day_pnl: float
    books: int

    @property
    def day_pnl_pct(self) -> float:
        """Day P&L as a decimal of the value before the day's move (equity − P&L); NaN when that is not positive."""
        base = self.equity - self.day_pnl
        return self.day_pnl / base if base > 0 else float("nan")


@dataclass(frozen=True)
class SchedulerHealth:
    """The configured mode and who holds the job lease (only the holder runs jobs)."""

    mode: str  # thread | worker | off (settings.scheduler)
    holder: str | None  # lease owner while the lease is held, else None
    heartbeat_at: datetime | None
    heartbeat_age_s: float | None

    @property
    def is_running(self) -> bool:
        return self.holder is not None


@dataclass(frozen=True)
class Snapshot:
    """Everything the Overview shows, read at `taken_at` (UTC)."""

    taken_at: pd.Timestamp
    totals: tuple[CurrencyTotal, ...]
    books: pd.DataFrame  # BOOK_COLUMNS: one row per running/paused deployment and per portfolio
    positions: pd.DataFrame  # POSITION_COLUMNS: paper positions and holdings
    unread_alerts: int  # alert events not acknowledged yet
    alerts: pd.DataFrame  # the latest events, newest first (storage.alerts.EVENT_COLUMNS)
    breakers: pd.DataFrame  # engine.paper.deployments.BREAKER_COLUMNS, tripped first
    data: pd.DataFrame  # DATA_COLUMNS: one row per watchlist symbol, worst status first
    scheduler: SchedulerHealth
    jobs: pd.DataFrame  # JOB_COLUMNS: one row per scheduled job
    notices: tuple[str, ...] = field(default_factory=tuple)

    @property
    def tripped(self) -> int:
        return int((self.breakers["status"] == "TRIPPED").sum())

    def problems(self) -> list[str]:
        """What needs a look, one short phrase each; empty when everything is fine."""
        out = [f"{self.tripped} circuit breaker(s) tripped"] if self.tripped else []
        out += [f"{self.unread_alerts} unacknowledged alert(s)"] if self.unread_alerts else []
        counts = self.data["status"].value_counts()
        out += [f"{counts[s]} symbol(s) {s}" for s in ("failed", "missing", "stale") if counts.get(s, 0)]
        out += [f"{counts['demo']} symbol(s) on demo data"] if counts.get("demo", 0) else []
        out += [f"job {j} failed" for j in self.jobs.loc[self.jobs["status"] == "failed", "job"]]
        if self.scheduler.mode != "off" and not self.scheduler.is_running:
            out.append("no scheduler is running jobs")
        return out


def _currency(symbols: Sequence[str], fallback: str = "") -> str:
    try:
        return instrument_for(symbols[0]).currency if symbols else fallback
    except DataError:
        return fallback


def _paper(db: Engine) -> tuple[list[dict], list[pd.DataFrame], list[str]]:
    """Books and positions of running and paused deployments (stopped ones are archived)."""
    books, positions, notices = [], [], []
    deps = list_deployments(db)
    for dep in deps[deps["status"] != "stopped"].itertuples(index=False):
        currency = _currency(dep.symbols)
        if len({_currency([s], currency) for s in dep.symbols}) > 1:
            notices.append(f"paper #{dep.id} trades several currencies; its equity is counted in {currency}")
        marks = store.day_equity(db, int(dep.id))
        start = float(dep.config.get("cash", dep.equity))
        prior = start if marks is None or marks[2] is None else marks[2]
        books.append({"kind": "paper", "name": f"#{dep.id} {dep.name}", "currency": currency,
                      "equity": float(dep.equity), "day_pnl": float(dep.equity) - prior if marks else 0.0,
                      "as_of": marks[0] if marks else None})
        pos = positions_frame(db, int(dep.id))
        if len(pos):
            cost = (pos["qty"].abs() * pos["avg_price"]).where(lambda c: c > 0)
            positions.append(pd.DataFrame({
                "book": f"paper #{dep.id}", "symbol": pos["symbol"], "qty": pos["qty"],
                "avg_price": pos["avg_price"], "last_price": pos["last_price"], "pnl": pos["unrealised_pnl"],
                "pnl_pct": pos["unrealised_pnl"] / cost,
                "currency": [_currency([sym], currency) for sym in pos["symbol"]]}))
    return books, positions, notices


def _day_change_by_currency(db: Engine, report: PortfolioReport, currency_of: dict[str, str]) -> dict[str, float]:
    """The latest session's P&L per currency: one value series per currency group, never converted."""
    groups: dict[str, list[str]] = {}
    for symbol, currency in currency_of.items():
        groups.setdefault(currency, []).append(symbol)
    if len(groups) == 1:
        return {next(iter(groups)): float(report.totals["day_change"])}
    start = min(t.trade_date for t in report.transactions)
    out = {}
    for currency, symbols in groups.items():
        txns = [t for t in report.transactions if t.symbol in symbols]
        closes, _ = stored_closes(db, symbols, start)
        out[currency] = day_change(value_series(txns, closes))[0]
    return out


def _holdings(db: Engine) -> tuple[list[dict], list[pd.DataFrame], list[str]]:
    """One book per portfolio and currency, and the open holdings, valued at the latest stored closes."""
    books, positions, notices = [], [], []
    for name in portfolio_names(db):
        report = build_report(db, name)
        if report.is_empty:
            continue
        currency_of = {t.symbol: _currency([t.symbol], report.currency) for t in report.transactions}
        changes = _day_change_by_currency(db, report, currency_of)
        held = report.holdings[report.holdings["qty"] > 0]
        value = held.groupby(held["symbol"].map(currency_of))["value"].sum()
        as_of = pd.Timestamp(report.as_of, tz="UTC") if report.as_of else None
        for currency, change in changes.items():
            books.append({"kind": "holdings", "name": name, "currency": currency,
                          "equity": float(value.get(currency, 0.0)), "day_pnl": change, "as_of": as_of})
        if len(held):
            positions.append(pd.DataFrame({
                "book": name, "symbol": held["symbol"], "qty": held["qty"], "avg_price": held["avg_cost"],
                "last_price": held["price"], "pnl": held["unrealised"], "pnl_pct": held["unrealised_pct"],
                "currency": held["symbol"].map(currency_of)}))
        notices += [n for n in report.notices if "without conversion" not in n]
    return books, positions, notices


def currency_totals(books: pd.DataFrame) -> tuple[CurrencyTotal, ...]:
    """Books summed per currency, INR first, then by currency code."""
    out = [CurrencyTotal(str(c), float(g["equity"].sum()), float(g["day_pnl"].sum()), len(g))
           for c, g in books.groupby("currency", sort=True)]
    return tuple(sorted(out, key=lambda t: (t.currency != "INR", t.currency)))


def data_freshness(db: Engine, watchlist: Sequence[str], interval: str, now: pd.Timestamp) -> pd.DataFrame:
    """Freshness of each watchlist symbol at `interval` with its last `SPARK_BARS` closes, worst status first.

    Demo status: any of those recent bars is generated demo data (older history is not looked at).
    """
    runs = last_runs(db)
    runs = runs[runs["interval"] == interval].set_index("symbol")
    recent = store.recent_bars(db, watchlist, interval, SPARK_BARS)
    rows = []
    for symbol in dict.fromkeys(watchlist):
        bars = recent.get(symbol)
        last = bars.index[-1] if bars is not None else None
        sources = sorted(set(bars["source"])) if bars is not None else []
        run_status = str(runs.at[symbol, "status"]) if symbol in runs.index else ""
        status = freshness(symbol, interval, last, now, is_demo=DEMO in sources, last_status=run_status)
        rows.append({"symbol": symbol, "interval": interval, "last_bar": last, "age": age(symbol, interval, last, now),
                     "status": status, "source": "+".join(sources),
                     "closes": [round(float(x), 4) for x in bars["close"]] if bars is not None else [],
                     "error": str(runs.at[symbol, "error"]) if run_status == "failed" else ""})
    frame = pd.DataFrame(rows, columns=DATA_COLUMNS)
    order = frame["status"].map({s: i for i, s in enumerate(STATUSES)})
    return frame.assign(_o=order).sort_values(["_o", "symbol"], kind="stable").drop(columns="_o").reset_index(drop=True)


def job_health(db: Engine, mode: str, now: pd.Timestamp) -> tuple[SchedulerHealth, pd.DataFrame]:
    """Who holds the scheduler lease (and its heartbeat age), and each job's latest run and latest failure."""
    lease = get_lease(db, LEASE_NAME)
    held = lease is not None and lease.is_held(now.to_pydatetime())
    health = SchedulerHealth(mode, lease.owner if held else None, lease.heartbeat_at if lease else None,
                             (now - pd.Timestamp(lease.heartbeat_at)).total_seconds() if lease else None)
    rows = []
    for spec in JOBS:
        runs = recent_job_runs(db, limit=20, job_id=spec.job_id)
        last = runs.iloc[0] if len(runs) else None
        failed = runs[runs["status"] == "failed"]
        rows.append({"job": spec.job_id, "started_at": last["started_at"] if last is not None else None,
                     "status": last["status"] if last is not None else "never run",
                     "duration_s": last["duration_s"] if last is not None else float("nan"),
                     "note": last["error"] if last is not None else "",
                     "last_error": failed["error"].iloc[0] if len(failed) else "",
                     "last_error_at": failed["started_at"].iloc[0] if len(failed) else None})
    return health, pd.DataFrame(rows, columns=JOB_COLUMNS)


def build_snapshot(db: Engine, *, watchlist: Sequence[str], interval: str = "1d", scheduler_mode: str = "thread",
                   now: pd.Timestamp | None = None, events: int = LATEST_EVENTS) -> Snapshot:
    """Read everything the Overview shows in one pass (reads only; raises DataError for a broken portfolio book)."""
    now = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now).tz_convert("UTC")
    paper_books, paper_pos, notes = _paper(db)
    held_books, held_pos, held_notes = _holdings(db)
    books = pd.DataFrame(paper_books + held_books, columns=BOOK_COLUMNS)
    frames = [f for f in paper_pos + held_pos if len(f)]
    positions = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=POSITION_COLUMNS)
    breakers = breaker_states(db)
    breakers = breakers.assign(_t=breakers["status"] != "TRIPPED").sort_values(["_t", "deployment_id"]) \
        .drop(columns="_t").reset_index(drop=True)
    scheduler, jobs = job_health(db, scheduler_mode, now)
    return Snapshot(
        taken_at=now, totals=currency_totals(books), books=books, positions=positions[POSITION_COLUMNS],
        unread_alerts=store.unacknowledged_events(db), alerts=events_frame(db, limit=events), breakers=breakers,
        data=data_freshness(db, watchlist, interval, now), scheduler=scheduler, jobs=jobs,
        notices=tuple(dict.fromkeys(notes + held_notes)))
