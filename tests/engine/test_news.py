"""News ingestion: feed and Yahoo parsing, tagging, dedupe, offline behaviour, the daily index and the filter."""

from __future__ import annotations

import socket
from datetime import date
from urllib.error import URLError

import numpy as np
import pandas as pd
import pytest

from engine.config import get_settings
from engine.errors import DataError
from engine.sentiment import index as sx
from engine.sentiment import news
from storage import news as store
from storage.db import transaction
from storage.instruments import InstrumentInfo, upsert_instrument
from tests.news_helpers import ATOM, FLAT, NESTED, RSS, KeywordModel, fake_model, stub_network, utc  # noqa: F401

WATCH = ("RELIANCE.NS", "TCS.NS", "INFY.NS", "^NSEI")


@pytest.fixture
def watch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUANTDESK_WATCHLIST", ",".join(WATCH))
    get_settings.cache_clear()


# --- parsing -------------------------------------------------------------------------------------------

def test_rss_items_parse_with_utc_times_plain_text_and_the_channel_as_source() -> None:
    drafts = news.parse_feed(RSS, "https://et.example/rss")
    assert [d.title for d in drafts] == ["Reliance shares rise 3% as retail arm beats estimates",
                                         "TCS falls after weak deal guidance", "Gold steady ahead of US data"]
    assert drafts[0].summary == "Shares of Reliance Industries gained 3%."
    assert drafts[0].published_at == utc(2024, 6, 3, 5)
    assert drafts[1].published_at == utc(2024, 6, 3, 11)  # 16:30 +05:30
    assert {d.source for d in drafts} == {"ET Markets"} and drafts[0].symbols == ()


def test_atom_entries_parse_with_author_and_link() -> None:
    drafts = news.parse_feed(ATOM.encode(), "https://mc.example/atom")
    assert [(d.title, d.link) for d in drafts] == [
        ("Infosys rises after upbeat outlook", "https://www.moneycontrol.com/news/infy-1.html"),
        ("Nifty ends flat", "https://www.moneycontrol.com/news/nifty-1.html")]
    assert drafts[0].published_at == utc(2024, 6, 4, 9, 15) and drafts[0].publisher == "MC Desk"
    assert drafts[1].publisher == "Moneycontrol Markets" and drafts[0].summary == "Infosys gained 2 per cent."


def test_text_that_is_not_a_feed_is_a_data_error() -> None:
    with pytest.raises(DataError, match="not an RSS or Atom feed"):
        news.parse_feed("<html><body>Service unavailable</body></html>", "https://x.example/rss")


def test_yahoo_flat_and_nested_payloads() -> None:
    flat = news.parse_yfinance_item(FLAT, "RELIANCE.NS")
    assert (flat.title, flat.publisher, flat.link) == ("Reliance Jio adds subscribers", "Reuters",
                                                       "https://finance.yahoo.com/news/jio-1.html")
    assert flat.published_at == utc(2024, 6, 3, 8) and flat.symbols == ("RELIANCE.NS",)
    nested = news.parse_yfinance_item(NESTED, "TCS.NS")
    assert (nested.title, nested.publisher) == ("TCS wins large deal from UK insurer", "Business Standard")
    assert nested.link == "https://finance.yahoo.com/news/tcs-deal.html"
    assert nested.published_at == utc(2024, 6, 3, 6, 30) and nested.summary.startswith("Tata Consultancy")
    assert nested.source == flat.source == "Yahoo Finance"
    assert news.parse_yfinance_item({"content": {"title": ""}}, "TCS.NS") is None
    assert news.parse_yfinance_item({"id": "ad", "content": None, "title": "x"}, "TCS.NS").title == "x"


# --- tagging ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("Reliance to demerge its finance arm", ("RELIANCE.NS",)),
    ("TCS and Infosys lead IT gains", ("TCS.NS", "INFY.NS")),
    ("RELIANCE.NS hits a record", ("RELIANCE.NS",)),
    ("Nifty 50 ends at a record; ^NSEI up 1%", ("^NSEI",)),
    ("Tata Consultancy Services signs a deal", ("TCS.NS",)),
    ("Reliability of tcs-like systems", ()),  # no partial words, tickers are case-sensitive
    ("TCSX and INFYY are not tickers we watch", ()),
])
def test_tagging_by_ticker_and_company_name(text: str, expected: tuple[str, ...]) -> None:
    from engine.data.instruments import instrument_for

    tagger = news.SymbolTagger({s: instrument_for(s).name for s in WATCH})
    assert set(tagger.tag(text)) == set(expected)


def test_stored_instrument_names_are_used_for_tagging(db_engine) -> None:  # noqa: ANN001
    with transaction(db_engine) as s:
        upsert_instrument(s, InstrumentInfo("ZOMATO.NS", name="Zomato Limited", exchange="NSE"))
    names = news.instrument_names(db_engine, ["ZOMATO.NS", "RELIANCE.NS"])
    assert names == {"ZOMATO.NS": "Zomato Limited", "RELIANCE.NS": "Reliance Industries"}
    tagger = news.SymbolTagger(names)
    assert tagger.tag("Zomato posts first profit") == ("ZOMATO.NS",)


# --- the pipeline ---------------------------------------------------------------------------------------

def test_fetch_stores_tags_scores_and_indexes(db_engine, stub_network, fake_model, watch) -> None:  # noqa: ANN001, F811
    report = news.fetch_news(db_engine, get_settings())
    assert report.status == "ok" and report.errors == {}
    assert (report.fetched, report.new, report.scored) == (7, 7, 7)  # Yahoo 2 (none for INFY, ^NSEI), RSS 3, Atom 2
    listed = store.list_news(db_engine, limit=None)
    tags = dict(zip(listed["title"], listed["symbols"], strict=True))
    assert tags["Reliance shares rise 3% as retail arm beats estimates"] == "RELIANCE.NS"
    assert tags["TCS wins large deal from UK insurer"] == "TCS.NS"
    assert tags["Infosys rises after upbeat outlook"] == "INFY.NS" and tags["Nifty ends flat"] == "^NSEI"
    assert tags["Gold steady ahead of US data"] == ""
    assert set(listed["model"]) == {"finance-lexicon"} and report.model_label == "lexicon (offline fallback)"
    daily = store.read_daily(db_engine, "TCS.NS")
    # TCS: deal win 06:30 UTC (+0.8) and weak guidance 11:00 UTC (-0.6) both on 3 Jun IST
    assert daily[["day", "count"]].values.tolist() == [[date(2024, 6, 3), 2]]
    assert daily["mean"].iloc[0] == pytest.approx(0.1) and daily["pos_share"].iloc[0] == 0.5
    assert sorted(report.indexed) == ["INFY.NS", "RELIANCE.NS", "TCS.NS", "^NSEI"]


def test_the_same_story_twice_and_a_refetch_are_stored_once(db_engine, stub_network, fake_model, watch) -> None:  # noqa: ANN001, F811
    first = news.fetch_news(db_engine, get_settings())
    again = news.fetch_news(db_engine, get_settings())
    assert (again.new, again.duplicates, again.scored) == (0, again.fetched, 0)
    assert len(store.list_news(db_engine, limit=None)) == first.new
    assert fake_model.batches == [7]  # nothing scored twice


def test_offline_keeps_stored_news_and_says_so(db_engine, stub_network, fake_model, watch) -> None:  # noqa: ANN001, F811
    news.fetch_news(db_engine, get_settings())
    before = store.list_news(db_engine, limit=None)
    stub_network["yahoo"] = ConnectionError("cannot resolve Yahoo Finance's host")
    stub_network["feed"] = URLError(socket.gaierror(-3, "Temporary failure in name resolution"))
    stub_network["calls"].clear()
    report = news.fetch_news(db_engine, get_settings())
    assert report.status == "offline" and "offline" in report.summary()
    assert all(e.startswith(("offline", "skipped")) for e in report.errors.values())
    assert stub_network["calls"].count("RELIANCE.NS") == 1 and "TCS.NS" not in stub_network["calls"]  # no retries
    pd.testing.assert_frame_equal(store.list_news(db_engine, limit=None), before)


def test_one_failing_source_is_partial_and_scoring_failure_keeps_headlines(
        db_engine, stub_network, monkeypatch, watch) -> None:  # noqa: ANN001, F811
    def broken(settings=None):  # noqa: ANN001, ANN202
        raise RuntimeError("weights corrupt")

    monkeypatch.setattr("engine.sentiment.news.load_model", broken)
    stub_network["yahoo"] = ValueError("unexpected payload")
    report = news.fetch_news(db_engine, get_settings())
    assert report.status == "partial" and report.new == 5 and report.scored == 0
    assert any("scoring failed" in n for n in report.notices)
    assert store.list_news(db_engine, limit=None)["label"].isna().all()
    stub_network["yahoo"] = None
    later = news.fetch_news(db_engine, get_settings(), model=KeywordModel())
    assert (later.status, later.new, later.duplicates, later.scored) == ("ok", 2, 5, 7)  # pending ones scored now


def test_news_job_is_skipped_on_demo_and_records_offline_as_failed(
        db_engine, stub_network, fake_model) -> None:  # noqa: ANN001, F811
    from engine.jobs import JobContext, news_body

    ctx = JobContext(db_engine, get_settings().model_copy(update={"provider": "demo"}), owner="t")
    assert news_body(ctx).status == "skipped"
    ctx = JobContext(db_engine, get_settings().model_copy(update={"provider": "yfinance"}), owner="t")
    outcome = news_body(ctx)
    assert outcome.status == "ok" and "new" in outcome.note
    stub_network["yahoo"] = ConnectionError("no DNS")
    stub_network["feed"] = TimeoutError("timed out")
    outcome = news_body(ctx)
    assert outcome.status == "failed" and "offline" in outcome.note


# --- the daily index ----------------------------------------------------------------------------------

def _scores(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    """(symbol, UTC time, label, score) → the index input frame."""
    frame = pd.DataFrame(rows, columns=["symbol", "published_at", "label", "score"])
    frame["published_at"] = pd.to_datetime(frame["published_at"], utc=True)
    frame["model"] = "m"
    return frame


HAND = _scores([
    ("TCS.NS", "2024-06-03 04:00", "positive", 0.9),
    ("TCS.NS", "2024-06-03 09:00", "negative", -0.6),
    ("TCS.NS", "2024-06-03 12:00", "neutral", 0.0),
    ("TCS.NS", "2024-06-03 19:00", "positive", 0.5),  # 00:30 IST on 4 Jun
    ("INFY.NS", "2024-06-03 10:00", "negative", -0.4),
])


def test_daily_index_by_hand_in_the_exchange_time_zone() -> None:
    daily = sx.daily_index(HAND, {"TCS.NS": "Asia/Kolkata", "INFY.NS": "Asia/Kolkata"})
    tcs = daily[daily["symbol"] == "TCS.NS"].set_index("day")
    assert list(tcs.index) == [date(2024, 6, 3), date(2024, 6, 4)]
    assert tcs.loc[date(2024, 6, 3), "mean"] == pytest.approx((0.9 - 0.6 + 0.0) / 3)
    assert tcs.loc[date(2024, 6, 3), "count"] == 3
    assert tcs.loc[date(2024, 6, 3), ["pos_share", "neg_share"]].tolist() == pytest.approx([1 / 3, 1 / 3])
    assert tcs.loc[date(2024, 6, 4), ["mean", "count", "pos_share", "neg_share"]].tolist() == [0.5, 1, 1.0, 0.0]
    in_utc = sx.daily_index(HAND, "UTC")
    assert in_utc[in_utc["symbol"] == "TCS.NS"]["count"].tolist() == [4]  # all on 3 Jun in UTC
    assert sx.daily_index(HAND.iloc[0:0]).empty


def test_index_series_and_alignment_with_bars() -> None:
    daily = sx.daily_index(HAND, "Asia/Kolkata")
    s = sx.index_series(daily, "TCS.NS")
    assert list(s.index) == [pd.Timestamp("2024-06-03", tz="UTC"), pd.Timestamp("2024-06-04", tz="UTC")]
    bars = pd.DataFrame({"close": [100.0, 101.0, 102.0]},
                        index=pd.date_range("2024-06-03", periods=3, freq="D", tz="UTC"))
    counts = sx.index_series(daily, "TCS.NS", column="count")
    aligned = sx.align_with_bars(bars, s, tz="Asia/Kolkata", counts=counts)
    assert aligned["sentiment"].tolist()[:2] == pytest.approx([0.1, 0.5]) and np.isnan(aligned["sentiment"].iloc[2])
    # known at a bar: only days complete before it, so bar 3 Jun knows nothing, 4 Jun knows 3 Jun's value
    assert np.isnan(aligned["known"].iloc[0])
    assert aligned["known"].tolist()[1:] == pytest.approx([0.1, 0.5])
    assert aligned["count"].tolist() == [3, 1, 0]


def test_filter_uses_only_news_known_before_the_bar() -> None:
    bars = pd.date_range("2024-06-03", periods=5, freq="D", tz="UTC")
    entries = pd.Series(True, index=bars)
    index = pd.Series([0.4, -0.5, 0.3], index=pd.DatetimeIndex(["2024-06-03", "2024-06-04", "2024-06-06"], tz="UTC"))
    kept = sx.sentiment_filter(entries, index, 0.2)
    # 3 Jun: nothing known yet; 4 Jun: 3 Jun's +0.4; 5 Jun: 4 Jun's -0.5; 6 Jun: still -0.5; 7 Jun: 6 Jun's +0.3
    assert kept.tolist() == [False, True, False, False, True]
    assert sx.sentiment_filter(entries, index, 0.4).tolist() == [False] * 5  # strictly above
    stale = sx.sentiment_filter(entries, index, 0.2, max_age=pd.Timedelta(days=1))
    assert stale.tolist() == [False, True, False, False, True]
    no_entry = entries.copy()
    no_entry.iloc[1] = False
    assert not sx.sentiment_filter(no_entry, index, 0.2).iloc[1]  # never adds entries


def test_filter_decisions_do_not_change_when_future_news_arrives() -> None:
    rng = np.random.default_rng(7)
    bars = pd.date_range("2024-01-01", periods=120, freq="D", tz="UTC")
    entries = pd.Series(rng.random(120) > 0.5, index=bars)
    index = pd.Series(rng.uniform(-1, 1, 120), index=bars)
    full = sx.sentiment_filter(entries, index, 0.0, tz="Asia/Kolkata")
    for cut in (10, 50, 119):
        partial = sx.sentiment_filter(entries, index.iloc[:cut], 0.0, tz="Asia/Kolkata")
        assert partial.iloc[: cut + 1].equals(full.iloc[: cut + 1])  # bar `cut` uses day cut-1 at most
    shifted = (index.shift(1) > 0.0) & entries  # by hand: bar d reads day d-1
    assert full.equals(shifted)


def test_headlines_before_the_close_count_on_that_bar_with_per_item_times() -> None:
    scores = _scores([("TCS.NS", "2024-06-04 05:00", "positive", 0.6),  # 10:30 IST, before the 15:30 close
                      ("TCS.NS", "2024-06-04 11:00", "negative", -0.9)])  # 16:30 IST, after it
    running = sx.running_index(scores, "Asia/Kolkata")
    assert running.tolist() == pytest.approx([0.6, (0.6 - 0.9) / 2])
    bars = pd.date_range("2024-06-04", periods=2, freq="D", tz="UTC")  # Tue, Wed
    closes = sx.session_closes(bars, "TCS.NS")
    assert closes[0] == pd.Timestamp("2024-06-04 10:00", tz="UTC")
    kept = sx.sentiment_filter(pd.Series(True, index=bars), running, 0.0, daily=False, bar_close=closes)
    assert kept.tolist() == [True, False]  # Tue sees only the 10:30 story; Wed sees the day's running mean
    labels_only = sx.sentiment_filter(pd.Series(True, index=bars), running, 0.0, daily=False)
    assert labels_only.tolist() == [False, False]  # without close times: decided at 00:00 UTC


def test_filter_rejects_naive_or_mismatched_bar_times() -> None:
    entries = pd.Series(True, index=pd.date_range("2024-06-03", periods=2, freq="D"))
    with pytest.raises(ValueError, match="tz-aware"):
        sx.sentiment_filter(entries, pd.Series(dtype=float, index=pd.DatetimeIndex([], tz="UTC")), 0.0)
    with pytest.raises(ValueError, match="one time per entry"):
        sx.sentiment_filter(entries.tz_localize("UTC"), pd.Series(dtype=float, index=pd.DatetimeIndex([], tz="UTC")),
                            0.0, bar_close=pd.DatetimeIndex(["2024-06-03"], tz="UTC"))


def test_latest_sentiment_reads_the_stored_index(db_engine, stub_network, fake_model, watch) -> None:  # noqa: ANN001, F811
    assert sx.latest_sentiment(db_engine, "TCS.NS") is None
    news.fetch_news(db_engine, get_settings())
    reading = sx.latest_sentiment(db_engine, "TCS.NS")
    assert (reading.day, reading.count, reading.model) == (date(2024, 6, 3), 2, "finance-lexicon")
    assert reading.mean == pytest.approx(0.1)
    assert sx.latest_sentiment(db_engine, "TCS.NS", model="finbert") is None


def test_the_real_lexicon_model_scores_fetched_news(db_engine, stub_network, watch, monkeypatch) -> None:  # noqa: ANN001, F811
    from engine.sentiment.models import clear_models

    monkeypatch.setenv("QUANTDESK_SENTIMENT_BACKEND", "lexicon")
    get_settings.cache_clear()
    clear_models()
    report = news.fetch_news(db_engine, get_settings())
    assert (report.status, report.scored, report.model_label) == ("ok", 7, "lexicon (offline fallback)")
    labels = store.list_news(db_engine, limit=None).set_index("title")["label"]
    assert labels["TCS falls after weak deal guidance"] == "negative"
    assert labels["Reliance shares rise 3% as retail arm beats estimates"] == "positive"
    clear_models()
