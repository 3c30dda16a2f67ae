"""The per-symbol daily sentiment index (pure pandas), its alignment with daily bars and a no-look-ahead filter.

When is sentiment known? (the rule every function here follows)
- The daily index value of day d summarises ALL of day d's news (d is the calendar date in the symbol's
  exchange time zone), so it is complete only when day d ends there. A daily bar labelled d (its session
  date) closes before that, so it cannot use day d's value: day d's news is usable from bar d+1 on.
- With per-item precision (`running_index`, `daily=False`) a headline is usable at a bar when it was
  published at or before that bar's close (`bar_close`; without it, conservatively, the bar's label time,
  which for daily bars is 00:00 UTC of the session date).
Between news the latest known value carries forward (optionally only for `max_age`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from sqlalchemy import Engine

INDEX_COLUMNS = ["symbol", "day", "model", "mean", "count", "pos_share", "neg_share"]


@dataclass(frozen=True)
class SentimentReading:
    """The latest stored daily index value of a symbol: mean score in [-1, 1] over `count` items of `day`."""

    symbol: str
    day: date
    model: str
    mean: float
    count: int
    pos_share: float
    neg_share: float


def _zone(tz: str | Mapping[str, str], symbol: str) -> str:
    return tz if isinstance(tz, str) else tz.get(symbol, "UTC")


def local_day(published_at: pd.Series, tz: str) -> pd.Series:
    """Calendar date (as datetime.date) of each aware timestamp in time zone `tz`."""
    return published_at.dt.tz_convert(tz).dt.date


def daily_index(scores: pd.DataFrame, tz: str | Mapping[str, str] = "UTC") -> pd.DataFrame:
    """Aggregate scored news into the daily index: one row per symbol, day and model.

    `scores` has columns symbol, published_at (tz-aware), model, label, score (signed, [-1, 1]);
    `tz` is a zone name or a symbol → zone mapping (missing symbols use UTC); `day` is the local date.
    Output columns INDEX_COLUMNS: mean score, item count, share of positive and of negative labels (0..1).
    """
    if scores.empty:
        return pd.DataFrame(columns=INDEX_COLUMNS)
    frame = scores[["symbol", "published_at", "model", "label", "score"]].copy()
    frame["day"] = None
    for symbol, rows in frame.groupby("symbol").groups.items():
        frame.loc[rows, "day"] = local_day(frame.loc[rows, "published_at"], _zone(tz, str(symbol)))
    frame["pos"] = (frame["label"] == "positive").astype(float)
    frame["neg"] = (frame["label"] == "negative").astype(float)
    out = (frame.groupby(["symbol", "day", "model"], sort=True)
           .agg(mean=("score", "mean"), count=("score", "size"), pos_share=("pos", "mean"), neg_share=("neg", "mean"))
           .reset_index())
    out["count"] = out["count"].astype(int)
    return out[INDEX_COLUMNS]


def pick_model(daily: pd.DataFrame) -> str | None:
    """The model to show when several scored: the one with the latest day, then the most items."""
    if daily.empty:
        return None
    last = daily.sort_values(["day", "count", "model"]).iloc[-1]
    return str(last["model"])


def index_series(daily: pd.DataFrame, symbol: str | None = None, model: str | None = None,
                 column: str = "mean") -> pd.Series:
    """One symbol's and model's index as a Series labelled like daily bars (00:00 UTC of each local day).

    `symbol` may be omitted when `daily` holds one symbol; `model` defaults to `pick_model`.
    """
    rows = daily if symbol is None else daily[daily["symbol"] == symbol]
    model = model or pick_model(rows)
    rows = rows[rows["model"] == model]
    labels = pd.DatetimeIndex(pd.to_datetime(rows["day"].astype(str)), name="day").tz_localize("UTC")
    return pd.Series(rows[column].to_numpy(dtype=float), index=labels, name=column).sort_index()


def known_at(index: pd.Series, tz: str = "UTC") -> pd.Series:
    """The same values labelled by the moment each day is complete: the next local midnight, in UTC."""
    days = index.index.tz_convert("UTC").tz_localize(None) if index.index.tz is not None else index.index
    ends = (days.normalize() + pd.Timedelta(days=1)).tz_localize(tz).tz_convert("UTC")
    return pd.Series(index.to_numpy(), index=ends, name=index.name)


def running_index(scores: pd.DataFrame, tz: str = "UTC") -> pd.Series:
    """Per-item precision for one symbol and model: after each headline, the mean score of its local day so far.

    Indexed by publication time (UTC); use with `sentiment_filter(..., daily=False, bar_close=…)`.
    """
    if scores.empty:
        return pd.Series(dtype=float, index=pd.DatetimeIndex([], tz="UTC"), name="mean")
    frame = scores.sort_values("published_at", kind="stable").reset_index(drop=True)
    day = local_day(frame["published_at"], tz).to_numpy()
    running = frame.groupby(day)["score"].cumsum() / (frame.groupby(day).cumcount() + 1)
    series = pd.Series(running.to_numpy(dtype=float), name="mean",
                       index=pd.DatetimeIndex(frame["published_at"]).tz_convert("UTC"))
    return series[~series.index.duplicated(keep="last")]


def latest_known(decision: pd.DatetimeIndex, available: pd.Series,
                 max_age: pd.Timedelta | None = None) -> pd.Series:
    """For each decision time, the latest value whose availability time is at or before it (NaN if none)."""
    left = pd.DataFrame({"t": decision.tz_convert("UTC").as_unit("ns"), "pos": range(len(decision))}).sort_values("t")
    right = pd.DataFrame({"t": available.index.tz_convert("UTC").as_unit("ns"), "value": available.to_numpy(dtype=float)})
    right = right.dropna().sort_values("t")
    merged = pd.merge_asof(left, right.assign(seen=right["t"]), on="t", direction="backward", allow_exact_matches=True)
    if max_age is not None:
        merged.loc[(merged["t"] - merged["seen"]) > max_age, "value"] = float("nan")
    return pd.Series(merged.sort_values("pos")["value"].to_numpy(), index=decision, name="sentiment")


def sentiment_filter(entries: pd.Series, index: pd.Series, min_score: float, *, tz: str = "UTC",
                     daily: bool = True, bar_close: pd.DatetimeIndex | pd.Series | None = None,
                     max_age: pd.Timedelta | None = None) -> pd.Series:
    """Keep an entry only if the latest sentiment known at its bar is strictly above `min_score`.

    `entries`: booleans indexed by bar labels (tz-aware). `index`: a daily index (`index_series`, day labels,
    `daily=True`, known from the end of the day in `tz`) or a `running_index` (`daily=False`, known at each
    publication time). Bars are decided at `bar_close` (aligned with `entries`) when given, else at their
    label. No sentiment known (or older than `max_age`) → the entry is dropped. See the module docstring.
    """
    available = known_at(index, tz) if daily else index
    decision = pd.DatetimeIndex(bar_close if bar_close is not None else entries.index)
    if len(decision) != len(entries):
        raise ValueError("bar_close must have one time per entry")
    if decision.tz is None:
        raise ValueError("bar times must be tz-aware (UTC)")
    value = latest_known(decision, available, max_age).to_numpy()
    keep = pd.Series(value > min_score, index=entries.index)  # NaN compares False
    return entries.astype(bool) & keep


def session_closes(labels: pd.DatetimeIndex, symbol: str) -> pd.DatetimeIndex:
    """UTC close time of each daily bar label of `symbol` (a non-session label closes at the next 00:00 UTC)."""
    from engine.data.calendars import session_close_utc
    from engine.errors import DataError

    closes = []
    for label in labels:
        try:
            closes.append(session_close_utc(symbol, label))
        except DataError:
            closes.append(label.normalize() + pd.Timedelta(days=1))
    return pd.DatetimeIndex(closes).tz_convert("UTC")


def align_with_bars(bars: pd.DataFrame, index: pd.Series, tz: str = "UTC",
                    counts: pd.Series | None = None) -> pd.DataFrame:
    """Daily bars beside the index: `close`, `sentiment` (that day's value, NaN without news — for charts),
    `known` (the latest value usable at the bar, no look-ahead) and `count` (items that day, 0 without news)."""
    labels = bars.index.tz_convert("UTC").normalize()
    same_day = index.reindex(labels)
    out = pd.DataFrame({"close": bars["close"].to_numpy(dtype=float), "sentiment": same_day.to_numpy()},
                       index=bars.index)
    out["known"] = latest_known(pd.DatetimeIndex(bars.index), known_at(index, tz)).to_numpy()
    out["count"] = (counts.reindex(labels).fillna(0).astype(int).to_numpy() if counts is not None else 0)
    return out


def latest_sentiment(db: Engine, symbol: str, model: str | None = None) -> SentimentReading | None:
    """The most recent stored daily index value of `symbol` (any model unless given), or None without news."""
    from storage.news import read_daily

    daily = read_daily(db, symbol=symbol, model=model)
    if daily.empty:
        return None
    row = daily.sort_values(["day", "count", "model"]).iloc[-1]
    return SentimentReading(symbol, row["day"], str(row["model"]), float(row["mean"]), int(row["count"]),
                            float(row["pos_share"]), float(row["neg_share"]))
