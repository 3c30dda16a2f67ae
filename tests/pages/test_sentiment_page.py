"""Sentiment page through AppTest: headlines table and filters, the index chart, fetching (ok and offline), empty states."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.config import get_settings
from engine.sentiment import news as news_engine
from storage import news as store
from storage.db import transaction
from tests.news_helpers import KeywordModel, fake_model, stub_network, utc  # noqa: F401
from tests.pages.page_helpers import app, chart_keys, demo_env, empty_db, errors, seeded  # noqa: F401

DAY = utc(2024, 6, 24, 5)  # a Monday inside the seeded demo bars (they end 28 Jun 2024)


def seed_news(db_engine, model_name: str = "finance-lexicon") -> None:  # noqa: ANN001
    """Six headlines over three days for RELIANCE.NS and TCS.NS plus one untagged, scored and indexed."""
    drafts = [
        store.NewsDraft("Reliance shares rise on retail growth", "https://et/1", source="ET Markets",
                        published_at=DAY, symbols=("RELIANCE.NS",)),
        store.NewsDraft("Reliance falls as refining margins weaken", "https://et/2", source="ET Markets",
                        published_at=DAY + timedelta(days=1), symbols=("RELIANCE.NS",)),
        store.NewsDraft("Reliance wins telecom spectrum", "https://yf/1", source="Yahoo Finance",
                        published_at=DAY + timedelta(days=2), symbols=("RELIANCE.NS",)),
        store.NewsDraft("TCS wins a large UK deal", "https://yf/2", source="Yahoo Finance",
                        published_at=DAY + timedelta(hours=2), symbols=("TCS.NS",)),
        store.NewsDraft("TCS guidance weak, shares fall", "https://mc/1", source="Moneycontrol",
                        published_at=DAY + timedelta(days=2, hours=1), symbols=("TCS.NS",)),
        store.NewsDraft("Gold steady ahead of US data", "https://mc/2", source="Moneycontrol",
                        published_at=DAY + timedelta(days=2)),
    ]
    with transaction(db_engine) as s:
        store.upsert_news(s, drafts, now=DAY + timedelta(days=3))
    news_engine.score_pending(db_engine, KeywordModel(model_name))
    news_engine.rebuild_index(db_engine, ["RELIANCE.NS", "TCS.NS"])


def table(at):  # noqa: ANN001, ANN201 - the headlines table is the page's last dataframe
    return at.dataframe[-1]


@pytest.fixture
def with_news(seeded, db_engine) -> None:  # noqa: ANN001, F811
    seed_news(db_engine)


def test_headlines_table_metrics_and_index_chart(with_news) -> None:  # noqa: ANN001
    at = app("sentiment")
    assert not at.exception and not errors(at)
    rows = table(at).value
    assert len(rows) == 6 and list(rows.columns)[:3] == ["Time (IST)", "Score", "Headline"]
    assert rows["Headline"].iloc[0] == "TCS guidance weak, shares fall"  # newest first
    assert set(rows["Model"]) == {"lexicon (offline fallback)"} and rows["Label"].iloc[0] == "negative"
    assert rows["Link"].iloc[0] == "https://mc/1"
    assert any("lexicon (offline fallback)" in c.value for c in at.caption)
    assert "sent_index_chart" in chart_keys(at)
    metrics = {m.label: m.value for m in at.metric}
    # RELIANCE.NS (first symbol): +0.8, -0.6, +0.8 on three days → latest +0.80, 7-day mean (0.8-0.6+0.8)/3
    assert metrics["Latest day"] == "+0.80" and metrics["7-day mean"] == "+0.33"
    assert metrics["Headlines (7 days)"] == "3" and metrics["Positive share (7 days)"] == "67%"


def test_filters_narrow_the_table(with_news) -> None:  # noqa: ANN001
    at = app("sentiment")
    at.selectbox(key="sent_symbol").set_value("TCS.NS").run()
    assert not at.exception
    assert table(at).value["Headline"].tolist() == ["TCS guidance weak, shares fall",
                                                                         "TCS wins a large UK deal"]
    assert at.selectbox(key="sent_index_symbol").value == "TCS.NS"  # the index follows the filter
    at.selectbox(key="sent_label").set_value("negative").run()
    assert table(at).value["Headline"].tolist() == ["TCS guidance weak, shares fall"]
    at.selectbox(key="sent_symbol").set_value("All").run()
    at.selectbox(key="sent_label").set_value("All")
    at.selectbox(key="sent_source").set_value("Moneycontrol").run()
    assert len(table(at).value) == 2
    at.selectbox(key="sent_source").set_value("All")
    at.text_input(key="sent_search").set_value("spectrum").run()
    assert table(at).value["Headline"].tolist() == ["Reliance wins telecom spectrum"]
    at.text_input(key="sent_search").set_value("no such words").run()
    assert not at.exception and any("No headlines match" in i.value for i in at.info)
    at.text_input(key="sent_search").set_value("")
    at.date_input(key="sent_dates").set_value((DAY.date(), DAY.date())).run()
    assert len(table(at).value) == 2  # 24 Jun IST: the Reliance rise and the TCS deal


def test_fetch_button_stores_scores_and_reports(seeded, db_engine, stub_network, fake_model) -> None:  # noqa: ANN001, F811
    at = app("sentiment")
    assert any("No news stored yet" in i.value for i in at.info)
    at.button(key="sent_fetch").click().run()
    assert not at.exception and not errors(at)
    assert any("7 new" in s.value for s in at.success)
    assert len(table(at).value) >= 1
    stub_network["yahoo"] = ConnectionError("no DNS")
    stub_network["feed"] = TimeoutError("timed out")
    at.button(key="sent_fetch").click().run()
    assert not at.exception and any("Offline" in w.value for w in at.warning)
    assert len(table(at).value) >= 1  # stored news still shown


def test_finbert_scores_are_named(seeded, db_engine) -> None:  # noqa: ANN001, F811
    seed_news(db_engine, "ProsusAI/finbert")
    at = app("sentiment")
    assert not at.exception and set(table(at).value["Model"]) == {"FinBERT"}
    assert any("Scored by **FinBERT**" in c.value for c in at.caption)


def test_empty_database_says_what_to_do(empty_db) -> None:  # noqa: ANN001, F811
    get_settings.cache_clear()
    at = app("sentiment")
    assert not at.exception and not errors(at)
    assert any("No news stored yet" in i.value for i in at.info)
    assert at.button(key="sent_fetch") is not None
