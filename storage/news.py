"""News queries: deduplicated upsert and symbol tags, listing with filters, sentiment scores, the daily index."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from difflib import SequenceMatcher
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pandas as pd
from sqlalchemy import Engine, delete, func, or_, select
from sqlalchemy.orm import Session

from storage.models import SENTIMENT_LABELS, NewsItem, NewsSymbol, SentimentDaily, SentimentScore

NEAR_IDENTICAL = 0.92  # SequenceMatcher ratio of normalised titles above which two same-day stories are one
NEWS_COLUMNS = ("id", "published_at", "title", "summary", "link", "source", "publisher", "symbols",
                "model", "label", "score", "confidence")
DAILY_COLUMNS = ("symbol", "day", "model", "mean", "count", "pos_share", "neg_share")
_TRACKING = re.compile(r"^(utm_|ref$|ncid$|guccounter$|yptr$|fr$)")


@dataclass(frozen=True)
class NewsDraft:
    """A fetched headline before storage; `published_at` tz-aware (UTC or any zone), `symbols` Yahoo-style."""

    title: str
    link: str = ""
    summary: str = ""
    source: str = ""
    publisher: str = ""
    published_at: datetime | None = None
    symbols: tuple[str, ...] = ()


@dataclass
class UpsertResult:
    """Ids of new rows, how many drafts were already stored, and symbols that gained a tag (new or old item)."""

    new_ids: list[int] = field(default_factory=list)
    duplicates: int = 0
    tagged_symbols: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class UnscoredItem:
    id: int
    title: str
    summary: str

    @property
    def text(self) -> str:
        """What a sentiment model reads: the headline, plus the start of the summary when there is one."""
        summary = self.summary.strip()
        return f"{self.title.strip()}. {summary[:300]}" if summary else self.title.strip()


@dataclass(frozen=True)
class ScoreRow:
    news_id: int
    model: str
    label: str
    score: float  # signed, [-1, 1]
    confidence: float  # 0..1


def _utc(moment: datetime) -> datetime:
    """Aware UTC from a stored (naive UTC on SQLite) or any aware datetime."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _naive_utc(moment: datetime) -> datetime:
    return _utc(moment).replace(tzinfo=None)


def normalise_title(title: str) -> str:
    """Lower-case words only: accents, punctuation and repeated spaces removed ("Sensex  ends UP!" -> "sensex ends up")."""
    text = unicodedata.normalize("NFKD", title or "").encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def normalise_link(link: str) -> str:
    """Scheme and host lower-cased, tracking parameters, fragment and trailing slash dropped."""
    parts = urlsplit((link or "").strip())
    if not parts.netloc:
        return (link or "").strip()
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if not _TRACKING.match(k.lower())])
    return urlunsplit(("https" if parts.scheme in ("http", "https") else parts.scheme, parts.netloc.lower(),
                       parts.path.rstrip("/"), query, ""))


def news_uid(title: str, link: str) -> str:
    """SHA-256 hex of the normalised title and link: the same story fetched twice gets the same uid."""
    return hashlib.sha256(f"{normalise_title(title)}|{normalise_link(link)}".encode()).hexdigest()


def is_near_identical(a: str, b: str) -> bool:
    """True when two normalised titles are the same story (equal, or a ratio above NEAR_IDENTICAL)."""
    return a == b or SequenceMatcher(None, a, b).ratio() >= NEAR_IDENTICAL


class _DayTitles:
    """Normalised titles of stored items per UTC day, loaded once per day during one upsert."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.days: dict[date, list[tuple[int, str]]] = {}

    def match(self, day: date, title: str) -> int | None:
        if day not in self.days:
            start = datetime(day.year, day.month, day.day)
            rows = self.session.execute(select(NewsItem.id, NewsItem.title).where(
                NewsItem.published_at >= start, NewsItem.published_at < start + timedelta(days=1)))
            self.days[day] = [(i, normalise_title(t)) for i, t in rows]
        return next((i for i, t in self.days[day] if is_near_identical(t, title)), None)

    def add(self, day: date, news_id: int, title: str) -> None:
        self.days.setdefault(day, []).append((news_id, title))


def tag_symbols(session: Session, news_id: int, symbols: Iterable[str]) -> set[str]:
    """Tag a news item with symbols; returns the symbols that were not tagged before."""
    wanted = {s for s in symbols if s}
    known = set(session.scalars(select(NewsSymbol.symbol).where(NewsSymbol.news_id == news_id)))
    added = wanted - known
    session.add_all(NewsSymbol(news_id=news_id, symbol=s) for s in sorted(added))
    return added


def upsert_news(session: Session, drafts: Iterable[NewsDraft], now: datetime | None = None) -> UpsertResult:
    """Store new headlines in the caller's transaction; a draft with a stored uid, or a near-identical title
    published the same UTC day, is a duplicate (its symbols are still added to the stored item)."""
    now = now or datetime.now(UTC)
    result, titles = UpsertResult(), _DayTitles(session)
    for draft in drafts:
        title = " ".join((draft.title or "").split())
        if not title:
            continue
        published = _naive_utc(draft.published_at or now)
        norm = normalise_title(title)
        existing = session.scalars(select(NewsItem.id).where(NewsItem.uid == news_uid(title, draft.link))).first()
        if existing is None:
            existing = titles.match(published.date(), norm)
        if existing is not None:
            result.duplicates += 1
            result.tagged_symbols |= tag_symbols(session, existing, draft.symbols)
            continue
        row = NewsItem(uid=news_uid(title, draft.link), title=title, summary=draft.summary or "",
                       link=draft.link or "", source=(draft.source or "")[:120],
                       publisher=(draft.publisher or "")[:120], published_at=published, fetched_at=_naive_utc(now))
        session.add(row)
        session.flush()
        titles.add(published.date(), row.id, norm)
        result.new_ids.append(row.id)
        result.tagged_symbols |= tag_symbols(session, row.id, draft.symbols)
    return result


def _to_frame(rows: Sequence[dict], columns: Sequence[str]) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows), columns=list(columns))
    frame["published_at"] = pd.to_datetime(frame["published_at"], utc=True)
    return frame


def list_news(engine: Engine, *, symbol: str | None = None, source: str | None = None,
              start: datetime | None = None, end: datetime | None = None, label: str | None = None,
              model: str | None = None, search: str | None = None, limit: int | None = 200) -> pd.DataFrame:
    """Headlines newest first with their symbols and sentiment (of `model`, else the latest score of any model).

    `start`/`end` bound published_at (UTC, end exclusive); `label` keeps only items scored with it;
    `search` matches title or summary case-insensitively. Columns: NEWS_COLUMNS.
    """
    stmt = select(NewsItem).order_by(NewsItem.published_at.desc(), NewsItem.id.desc())
    if symbol:
        stmt = stmt.where(NewsItem.id.in_(select(NewsSymbol.news_id).where(NewsSymbol.symbol == symbol)))
    if source:
        stmt = stmt.where(NewsItem.source == source)
    if start is not None:
        stmt = stmt.where(NewsItem.published_at >= _naive_utc(start))
    if end is not None:
        stmt = stmt.where(NewsItem.published_at < _naive_utc(end))
    if search and search.strip():
        pattern = f"%{search.strip()}%"
        stmt = stmt.where(or_(NewsItem.title.ilike(pattern), NewsItem.summary.ilike(pattern)))
    if label:
        scored = select(SentimentScore.news_id).where(SentimentScore.label == label)
        if model:
            scored = scored.where(SentimentScore.model == model)
        stmt = stmt.where(NewsItem.id.in_(scored))
    if limit:
        stmt = stmt.limit(limit)
    with Session(engine) as session:
        items = list(session.scalars(stmt))
        ids = [i.id for i in items]
        tags = session.execute(select(NewsSymbol.news_id, NewsSymbol.symbol).where(NewsSymbol.news_id.in_(ids))
                               .order_by(NewsSymbol.symbol))
        symbols: dict[int, list[str]] = {}
        for news_id, sym in tags:
            symbols.setdefault(news_id, []).append(sym)
        scores = _latest_scores(session, ids, model)
    rows = []
    for item in items:
        s = scores.get(item.id)
        if label and (s is None or s.label != label):
            continue
        rows.append({"id": item.id, "published_at": _utc(item.published_at), "title": item.title,
                     "summary": item.summary, "link": item.link, "source": item.source, "publisher": item.publisher,
                     "symbols": ", ".join(symbols.get(item.id, [])), "model": s.model if s else None,
                     "label": s.label if s else None, "score": s.score if s else None,
                     "confidence": s.confidence if s else None})
    return _to_frame(rows, NEWS_COLUMNS)


def _latest_scores(session: Session, ids: list[int], model: str | None) -> dict[int, SentimentScore]:
    stmt = select(SentimentScore).where(SentimentScore.news_id.in_(ids)).order_by(SentimentScore.scored_at)
    if model:
        stmt = stmt.where(SentimentScore.model == model)
    return {s.news_id: s for s in session.scalars(stmt)}  # later scored_at wins


def news_facets(engine: Engine) -> dict[str, list[str]]:
    """Values for filters: tagged symbols, sources and scoring models present in storage."""
    with Session(engine) as session:
        return {
            "symbols": list(session.scalars(select(NewsSymbol.symbol).distinct().order_by(NewsSymbol.symbol))),
            "sources": list(session.scalars(select(NewsItem.source).distinct().order_by(NewsItem.source))),
            "models": list(session.scalars(select(SentimentScore.model).distinct().order_by(SentimentScore.model))),
        }


def news_stats(engine: Engine) -> dict[str, object]:
    """How many items are stored and scored; when the latest was fetched and the span of publication
    times (aware UTC datetimes, None without news)."""
    with Session(engine) as session:
        items = session.scalar(select(func.count(NewsItem.id))) or 0
        scored = session.scalar(select(func.count(func.distinct(SentimentScore.news_id)))) or 0
        last, first_pub, last_pub = session.execute(select(
            func.max(NewsItem.fetched_at), func.min(NewsItem.published_at), func.max(NewsItem.published_at))).one()
    aware = lambda v: _utc(v) if v else None  # noqa: E731
    return {"items": int(items), "scored": int(scored), "last_fetched": aware(last),
            "first_published": aware(first_pub), "last_published": aware(last_pub)}


def unscored_items(session: Session, model: str, limit: int | None = None) -> list[UnscoredItem]:
    """Items without a score from `model`, oldest first."""
    scored = select(SentimentScore.news_id).where(SentimentScore.model == model)
    stmt = (select(NewsItem.id, NewsItem.title, NewsItem.summary).where(NewsItem.id.not_in(scored))
            .order_by(NewsItem.published_at, NewsItem.id))
    if limit:
        stmt = stmt.limit(limit)
    return [UnscoredItem(i, t, s) for i, t, s in session.execute(stmt)]


def save_scores(session: Session, scores: Iterable[ScoreRow], scored_at: datetime | None = None) -> int:
    """Insert or replace scores (one per item and model); returns how many were written."""
    when, n = _naive_utc(scored_at or datetime.now(UTC)), 0
    for s in scores:
        if s.label not in SENTIMENT_LABELS:
            raise ValueError(f"sentiment label must be one of {SENTIMENT_LABELS}, not {s.label!r}")
        session.merge(SentimentScore(news_id=s.news_id, model=s.model, label=s.label, score=float(s.score),
                                     confidence=float(s.confidence), scored_at=when))
        n += 1
    return n


def symbols_of(session: Session, news_ids: Iterable[int]) -> set[str]:
    """Symbols tagged on any of these items."""
    ids = list(news_ids)
    return set(session.scalars(select(NewsSymbol.symbol).where(NewsSymbol.news_id.in_(ids)).distinct())) if ids else set()


def scored_news(session: Session | Engine, symbols: Iterable[str] | None = None,
                model: str | None = None) -> pd.DataFrame:
    """One row per (symbol tag, score): symbol, published_at (aware UTC), model, label, score — the index input."""
    stmt = (select(NewsSymbol.symbol, NewsItem.published_at, SentimentScore.model, SentimentScore.label,
                   SentimentScore.score)
            .join(NewsItem, NewsItem.id == NewsSymbol.news_id)
            .join(SentimentScore, SentimentScore.news_id == NewsItem.id))
    if symbols is not None:
        stmt = stmt.where(NewsSymbol.symbol.in_(list(symbols)))
    if model:
        stmt = stmt.where(SentimentScore.model == model)
    if isinstance(session, Session):
        rows = session.execute(stmt).all()
    else:
        with Session(session) as s:
            rows = s.execute(stmt).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=["symbol", "published_at", "model", "label", "score"])
    frame["published_at"] = pd.to_datetime(frame["published_at"], utc=True)  # stored as naive UTC
    return frame


def replace_daily(session: Session, symbol: str, model: str, daily: pd.DataFrame) -> int:
    """Replace the stored daily index of one symbol and model with `daily` (columns DAILY_COLUMNS)."""
    session.execute(delete(SentimentDaily).where(SentimentDaily.symbol == symbol, SentimentDaily.model == model))
    rows = [SentimentDaily(symbol=symbol, model=model, day=pd.Timestamp(r.day).date(), mean=float(r.mean),
                           count=int(r.count), pos_share=float(r.pos_share), neg_share=float(r.neg_share))
            for r in daily.itertuples(index=False)]
    session.add_all(rows)
    return len(rows)


def read_daily(engine: Engine, symbol: str | None = None, model: str | None = None) -> pd.DataFrame:
    """Stored daily index rows (columns DAILY_COLUMNS, `day` as datetime.date), by symbol, model and day."""
    stmt = select(SentimentDaily).order_by(SentimentDaily.symbol, SentimentDaily.model, SentimentDaily.day)
    if symbol:
        stmt = stmt.where(SentimentDaily.symbol == symbol)
    if model:
        stmt = stmt.where(SentimentDaily.model == model)
    with Session(engine) as session:
        rows = [{c: getattr(r, c) for c in DAILY_COLUMNS} for r in session.scalars(stmt)]
    return pd.DataFrame(rows, columns=list(DAILY_COLUMNS))
