"""News storage on a real SQLite file: migration 0006, dedupe, tags, filters, scores and the daily index."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from storage import news as store
from storage.db import transaction
from storage.migrate import current_revision, upgrade
from storage.models import Base
from storage.news import NewsDraft, ScoreRow
from tests.news_helpers import utc

TABLES = {"news_items", "news_symbols", "sentiment_scores", "sentiment_daily"}
MON = utc(2024, 6, 3, 5)


def _draft(title: str, link: str = "", when=MON, symbols=(), source="ET Markets") -> NewsDraft:  # noqa: ANN001
    return NewsDraft(title=title, link=link, summary=f"about {title}", source=source, publisher="Desk",
                     published_at=when, symbols=tuple(symbols))


def _add(db, *drafts: NewsDraft) -> store.UpsertResult:  # noqa: ANN001
    with transaction(db) as s:
        return store.upsert_news(s, drafts, now=utc(2024, 6, 3, 12))


def test_migration_matches_models_for_news_tables(db_engine) -> None:  # noqa: ANN001
    assert current_revision(db_engine) >= "0006"
    assert TABLES <= set(inspect(db_engine).get_table_names())
    with db_engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in diffs if any(t in repr(d) for t in TABLES)] == []


def test_downgrade_to_0005_and_back(db_engine) -> None:  # noqa: ANN001
    from alembic import command

    from storage.migrate import alembic_config

    cfg = alembic_config(db_engine.url.render_as_string(hide_password=False))
    with db_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005")
    assert not TABLES & set(inspect(db_engine).get_table_names())
    upgrade(db_engine)
    assert TABLES <= set(inspect(db_engine).get_table_names())


def test_uid_ignores_case_punctuation_and_tracking_parameters() -> None:
    a = store.news_uid("Sensex ends UP 500 pts!", "http://ET.com/a.cms?utm_source=rss&id=7#top")
    assert a == store.news_uid("sensex ends up 500 pts", "https://et.com/a.cms?id=7")
    assert a != store.news_uid("sensex ends up 500 pts", "https://et.com/a.cms?id=8")
    assert len(a) == 64


def test_same_story_is_stored_once_and_gains_tags(db_engine) -> None:  # noqa: ANN001
    first = _add(db_engine, _draft("TCS wins a deal", "https://x/1", symbols=["TCS.NS"]),
                 _draft("TCS wins a deal", "https://x/1?utm_medium=feed", symbols=["TCS.NS"]))
    assert (len(first.new_ids), first.duplicates, first.tagged_symbols) == (1, 1, {"TCS.NS"})
    again = _add(db_engine, _draft("TCS wins a deal", "https://x/1", symbols=["TCS.NS", "^NSEI"]))
    assert (again.new_ids, again.duplicates, again.tagged_symbols) == ([], 1, {"^NSEI"})
    listed = store.list_news(db_engine)
    assert len(listed) == 1 and listed["symbols"].iloc[0] == "TCS.NS, ^NSEI"


def test_near_identical_titles_dedupe_only_on_the_same_day(db_engine) -> None:  # noqa: ANN001
    _add(db_engine, _draft("Reliance shares rise 3% as retail arm beats estimates", "https://et/1"))
    same_day = _add(db_engine, _draft("Reliance shares rise 3 pct as retail arm beats estimates", "https://mc/9",
                                      when=MON + timedelta(hours=6), source="Moneycontrol", symbols=["RELIANCE.NS"]))
    assert same_day.duplicates == 1 and same_day.tagged_symbols == {"RELIANCE.NS"}
    next_day = _add(db_engine, _draft("Reliance shares rise 3% as retail arm beats estimates", "https://mc/10",
                                      when=MON + timedelta(days=1)))
    different = _add(db_engine, _draft("Reliance shares fall 3% as retail arm misses estimates", "https://et/2"))
    assert len(next_day.new_ids) == 1 and len(different.new_ids) == 1
    assert len(store.list_news(db_engine)) == 3


def test_times_round_trip_as_aware_utc(db_engine) -> None:  # noqa: ANN001
    import zoneinfo

    ist = MON.astimezone(zoneinfo.ZoneInfo("Asia/Kolkata"))
    _add(db_engine, _draft("Nifty opens higher", when=ist))
    got = store.list_news(db_engine)["published_at"].iloc[0]
    assert got == pd.Timestamp(MON) and str(got.tz) == "UTC"
    assert store.news_stats(db_engine)["last_fetched"] == utc(2024, 6, 3, 12)


def _seed_scored(db) -> dict[str, int]:  # noqa: ANN001
    result = _add(db,
                  _draft("TCS wins a deal", "https://x/1", symbols=["TCS.NS"]),
                  _draft("TCS slips on weak outlook", "https://x/2", when=MON + timedelta(days=1), symbols=["TCS.NS"]),
                  _draft("Infosys steady", "https://y/1", symbols=["INFY.NS"], source="Yahoo Finance"),
                  _draft("Gold flat", "https://z/1", when=MON + timedelta(days=2)))
    ids = dict(zip(["win", "slip", "infy", "gold"], result.new_ids, strict=True))
    with transaction(db) as s:
        store.save_scores(s, [ScoreRow(ids["win"], "lex", "positive", 0.7, 0.8),
                              ScoreRow(ids["slip"], "lex", "negative", -0.5, 0.6),
                              ScoreRow(ids["infy"], "lex", "neutral", 0.0, 1.0)], scored_at=utc(2024, 6, 5))
    return ids


def test_list_filters_symbol_source_dates_label_search_and_limit(db_engine) -> None:  # noqa: ANN001
    _seed_scored(db_engine)
    titles = lambda **kw: store.list_news(db_engine, **kw)["title"].tolist()  # noqa: E731
    assert titles() == ["Gold flat", "TCS slips on weak outlook", "Infosys steady", "TCS wins a deal"]
    assert titles(symbol="TCS.NS") == ["TCS slips on weak outlook", "TCS wins a deal"]
    assert titles(source="Yahoo Finance") == ["Infosys steady"]
    assert titles(start=MON + timedelta(hours=1), end=MON + timedelta(days=2)) == ["TCS slips on weak outlook"]
    assert titles(label="negative") == ["TCS slips on weak outlook"]
    assert titles(label="positive", model="other") == []
    assert titles(search="TCS") == ["TCS slips on weak outlook", "TCS wins a deal"]
    assert titles(search="outlook") == ["TCS slips on weak outlook"]
    assert titles(limit=2) == ["Gold flat", "TCS slips on weak outlook"]
    row = store.list_news(db_engine, symbol="TCS.NS").iloc[0]
    assert (row["model"], row["label"], row["score"], row["confidence"]) == ("lex", "negative", -0.5, 0.6)
    assert store.news_facets(db_engine) == {"symbols": ["INFY.NS", "TCS.NS"], "models": ["lex"],
                                            "sources": ["ET Markets", "Yahoo Finance"]}


def test_the_latest_model_score_is_shown_and_scores_are_replaced(db_engine) -> None:  # noqa: ANN001
    ids = _seed_scored(db_engine)
    with transaction(db_engine) as s:
        store.save_scores(s, [ScoreRow(ids["win"], "finbert", "neutral", 0.05, 0.7)], scored_at=utc(2024, 6, 6))
        store.save_scores(s, [ScoreRow(ids["slip"], "lex", "negative", -0.9, 0.9)], scored_at=utc(2024, 6, 6))
    frame = store.list_news(db_engine).set_index("title")
    assert frame.loc["TCS wins a deal", ["model", "label"]].tolist() == ["finbert", "neutral"]
    assert frame.loc["TCS slips on weak outlook", "score"] == -0.9
    assert store.list_news(db_engine, model="lex").set_index("title").loc["TCS wins a deal", "label"] == "positive"


def test_unscored_items_per_model_and_bad_scores_are_refused(db_engine) -> None:  # noqa: ANN001
    ids = _seed_scored(db_engine)
    with transaction(db_engine) as s:
        pending = store.unscored_items(s, "lex")
        assert [p.id for p in pending] == [ids["gold"]] and pending[0].text == "Gold flat. about Gold flat"
        assert len(store.unscored_items(s, "finbert")) == 4
        assert store.symbols_of(s, [ids["win"], ids["infy"], ids["gold"]]) == {"TCS.NS", "INFY.NS"}
    with pytest.raises(ValueError, match="label"), transaction(db_engine) as s:
        store.save_scores(s, [ScoreRow(ids["gold"], "lex", "bullish", 0.1, 0.5)])
    with pytest.raises(IntegrityError), transaction(db_engine) as s:
        store.save_scores(s, [ScoreRow(ids["gold"], "lex", "positive", 1.5, 0.5)])


def test_scored_news_and_daily_index_round_trip(db_engine) -> None:  # noqa: ANN001
    _seed_scored(db_engine)
    scored = store.scored_news(db_engine, ["TCS.NS"])
    assert scored["score"].tolist() == [0.7, -0.5] and str(scored["published_at"].dt.tz) == "UTC"
    daily = pd.DataFrame({"symbol": ["TCS.NS"] * 2, "day": [date(2024, 6, 3), date(2024, 6, 4)], "model": "lex",
                          "mean": [0.7, -0.5], "count": [1, 1], "pos_share": [1.0, 0.0], "neg_share": [0.0, 1.0]})
    with transaction(db_engine) as s:
        assert store.replace_daily(s, "TCS.NS", "lex", daily) == 2
        store.replace_daily(s, "TCS.NS", "lex", daily.iloc[1:])  # replaced, not appended
    got = store.read_daily(db_engine, "TCS.NS")
    assert got.to_dict("records") == [{"symbol": "TCS.NS", "day": date(2024, 6, 4), "model": "lex", "mean": -0.5,
                                       "count": 1, "pos_share": 0.0, "neg_share": 1.0}]
    assert store.read_daily(db_engine, "INFY.NS").empty
