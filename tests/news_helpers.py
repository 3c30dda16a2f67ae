"""Helpers for news tests: a keyword sentiment model, RSS/Atom samples, Yahoo payloads, a stubbed network."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel>
  <title>ET Markets</title><link>https://economictimes.indiatimes.com/markets</link>
  <item>
    <title>Reliance shares rise 3% as retail arm beats estimates</title>
    <link>https://economictimes.indiatimes.com/a1.cms?utm_source=rss&amp;utm_medium=feed</link>
    <description>&lt;p&gt;Shares of &lt;b&gt;Reliance Industries&lt;/b&gt; gained&amp;nbsp;3%.&lt;/p&gt;</description>
    <pubDate>Mon, 03 Jun 2024 05:00:00 +0000</pubDate>
  </item>
  <item>
    <title>TCS falls after weak deal guidance</title>
    <link>https://economictimes.indiatimes.com/a2.cms</link>
    <pubDate>Mon, 03 Jun 2024 16:30:00 +0530</pubDate>
  </item>
  <item>
    <title>Gold steady ahead of US data</title>
    <link>https://economictimes.indiatimes.com/a3.cms</link>
    <pubDate>Mon, 03 Jun 2024 11:00:00 +0000</pubDate>
  </item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Moneycontrol Markets</title>
  <entry>
    <title>Infosys rises after upbeat outlook</title>
    <link href="https://www.moneycontrol.com/news/infy-1.html"/>
    <id>urn:mc:1</id>
    <updated>2024-06-04T09:15:00Z</updated>
    <author><name>MC Desk</name></author>
    <summary>Infosys gained 2 per cent.</summary>
  </entry>
  <entry>
    <title>Nifty ends flat</title>
    <link href="https://www.moneycontrol.com/news/nifty-1.html"/>
    <id>urn:mc:2</id>
    <updated>2024-06-04T10:30:00Z</updated>
  </entry>
</feed>"""

FLAT = {  # yfinance < 0.2.5x: one flat dict per story
    "uuid": "u-1", "title": "Reliance Jio adds subscribers", "publisher": "Reuters",
    "link": "https://finance.yahoo.com/news/jio-1.html", "providerPublishTime": 1717401600,  # 2024-06-03 08:00 UTC
    "type": "STORY", "relatedTickers": ["RELIANCE.NS"],
}
NESTED = {  # yfinance >= 0.2.5x: {"id", "content": {...}}
    "id": "n-1",
    "content": {
        "id": "n-1", "contentType": "STORY", "title": "TCS wins large deal from UK insurer",
        "summary": "Tata Consultancy Services said on Monday…", "pubDate": "2024-06-03T06:30:00Z",
        "provider": {"displayName": "Business Standard"},
        "canonicalUrl": {"url": "https://finance.yahoo.com/news/tcs-deal.html"},
        "clickThroughUrl": {"url": "https://www.business-standard.com/tcs-deal"},
    },
}


@dataclass(frozen=True)
class FakeScore:
    label: str
    score: float
    confidence: float
    model: str


class KeywordModel:
    """Deterministic stand-in for get_model(): +0.8 for rise/beat/win, -0.6 for fall/weak, else 0."""

    def __init__(self, name: str = "finance-lexicon") -> None:
        self.name = name
        self.batches: list[int] = []

    def score(self, texts: list[str]) -> list[FakeScore]:
        self.batches.append(len(texts))
        out = []
        for text in texts:
            low = text.lower()
            value = 0.8 if any(w in low for w in ("rise", "beat", "win", "gain")) else (
                -0.6 if any(w in low for w in ("fall", "weak")) else 0.0)
            label = "positive" if value > 0 else "negative" if value < 0 else "neutral"
            out.append(FakeScore(label, value, 0.9, self.name))
        return out


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def fake_model(monkeypatch: pytest.MonkeyPatch) -> KeywordModel:
    """The news pipeline's model (normally engine.sentiment.models.get_model()) is a KeywordModel."""
    model = KeywordModel()
    monkeypatch.setattr("engine.sentiment.news.load_model", lambda settings=None: model)
    return model


@pytest.fixture
def stub_network(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """Yahoo answers FLAT for RELIANCE.NS and NESTED for TCS.NS; every feed URL answers RSS (ATOM for '/atom').
    Put an exception in the returned dict under "yahoo" or "feed" to make that source fail."""
    state: dict[str, object] = {"yahoo": None, "feed": None, "calls": []}

    def ticker_news(symbol: str) -> list[dict]:
        state["calls"].append(symbol)  # type: ignore[union-attr]
        if state["yahoo"] is not None:
            raise state["yahoo"]  # type: ignore[misc]
        return {"RELIANCE.NS": [FLAT], "TCS.NS": [NESTED]}.get(symbol, [])

    def fetch(url: str, timeout: float) -> bytes:
        state["calls"].append(url)  # type: ignore[union-attr]
        if state["feed"] is not None:
            raise state["feed"]  # type: ignore[misc]
        return (ATOM if url.endswith("/atom") else RSS).encode()

    monkeypatch.setattr("engine.sentiment.news.download_ticker_news", ticker_news)
    monkeypatch.setattr("engine.sentiment.news.fetch_url", fetch)
    monkeypatch.setenv("QUANTDESK_NEWS_FEEDS", "https://et.example/rss,https://mc.example/atom")
    from engine.config import get_settings

    get_settings.cache_clear()
    return state
