"""News ingestion: Yahoo ticker news and RSS/Atom feeds → tagged, deduplicated headlines → scores → daily index.

Two functions touch the network, `download_ticker_news` and `fetch_url`; everything else is parsing and
storage. Offline, `fetch_news` keeps what is stored, still scores pending items and reports a notice.
"""

from __future__ import annotations

import calendar
import html
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from engine.errors import DataError
from storage.news import NewsDraft

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from engine.config import Settings

log = logging.getLogger(__name__)
Progress = Callable[[int, int, str], None]  # (done, total, what)
SCORE_BATCH = 32
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) Quantdesk news reader"
# Company words too generic to tag on their own ("Reliance Industries" is tagged by "Reliance").
_NAME_SUFFIXES = re.compile(
    r"\s+(industries|limited|ltd\.?|inc\.?|corporation|corp\.?|company|co\.?|plc|class [a-z]|usd|& co\.?)$", re.I)
EXTRA_ALIASES: dict[str, tuple[str, ...]] = {
    "^NSEI": ("Nifty", "Nifty 50"), "^NSEBANK": ("Bank Nifty", "Nifty Bank"), "^BSESN": ("Sensex",),
    "TCS.NS": ("Tata Consultancy",), "BTC-USD": ("Bitcoin",), "ETH-USD": ("Ethereum", "Ether"),
    "SBIN.NS": ("SBI",), "GOOG": ("Alphabet", "Google"),
}


class SentimentModelLike(Protocol):
    name: str

    def score(self, texts: list[str]) -> list[Any]: ...


@dataclass
class FetchReport:
    """What one fetch did. status: ok | partial (some sources failed) | offline (no source reachable)."""

    status: str = "ok"
    fetched: int = 0
    new: int = 0
    duplicates: int = 0
    scored: int = 0
    model: str | None = None
    symbols: list[str] = field(default_factory=list)
    indexed: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)

    @property
    def model_label(self) -> str:
        return model_label(self.model)

    def summary(self) -> str:
        text = (f"{self.fetched} headlines fetched, {self.new} new, {self.duplicates} already stored; "
                f"{self.scored} scored" + (f" by {self.model_label}" if self.model else ""))
        return "; ".join([text, *self.notices])

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "model_label": self.model_label}


def model_label(name: str | None) -> str:
    """How a page names a scoring model: "FinBERT", "lexicon (offline fallback)" or the name itself."""
    if not name:
        return "—"
    low = name.lower()
    if "finbert" in low:
        return "FinBERT"
    if "lexicon" in low or "vader" in low:
        return "lexicon (offline fallback)"
    return name


# --- network (monkeypatched in tests) -----------------------------------------------------------------

def download_ticker_news(symbol: str) -> list[dict[str, Any]]:
    """The only yfinance call: `yf.Ticker(symbol).news`; ConnectionError when Yahoo's host does not resolve."""
    from engine.data.providers.yahoo import _host_resolves

    if not _host_resolves():  # offline: fail at once instead of waiting on yfinance's own retries
        raise ConnectionError("cannot resolve Yahoo Finance's host")
    import yfinance as yf

    try:
        items = list(yf.Ticker(symbol).news or [])
    except Exception as exc:  # noqa: BLE001 - translated just below
        if not _host_resolves():
            raise ConnectionError("cannot resolve Yahoo Finance's host") from exc
        raise
    if not items and not _host_resolves():
        raise ConnectionError("cannot resolve Yahoo Finance's host")
    return items


def fetch_url(url: str, timeout: float) -> bytes:
    """The only feed download: the body of `url`, within `timeout` seconds (raises OSError/URLError)."""
    from urllib.request import Request, urlopen

    with urlopen(Request(url, headers={"User-Agent": USER_AGENT}), timeout=timeout) as resp:  # noqa: S310
        return resp.read()


def is_offline_error(exc: BaseException) -> bool:
    """True for failures that mean "no network" (DNS, refused, unreachable, timeout), not a bad answer."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    reason = getattr(exc, "reason", None)
    return bool(names & {"ConnectionError", "DNSError", "gaierror", "TimeoutError", "Timeout", "ProxyError",
                         "ConnectTimeout", "ReadTimeout"}) or (isinstance(reason, BaseException) and is_offline_error(reason))


# --- parsing ----------------------------------------------------------------------------------------------

def clean_text(text: str | None) -> str:
    """Plain text from feed HTML: tags dropped, entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text or "")).split())


def _epoch_or_iso(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), UTC)
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _url(value: Any) -> str:
    return str(value.get("url") or "") if isinstance(value, dict) else str(value or "")


def parse_yfinance_item(raw: dict[str, Any], symbol: str) -> NewsDraft | None:
    """One `Ticker.news` entry → a draft tagged with `symbol`, from the flat shape (title, link, publisher,
    providerPublishTime) or the nested one ({"id", "content": {title, summary, pubDate, provider, canonicalUrl}})."""
    content = raw.get("content") if isinstance(raw.get("content"), dict) else None
    if content is not None:
        title = content.get("title")
        link = _url(content.get("canonicalUrl")) or _url(content.get("clickThroughUrl"))
        summary = content.get("summary") or content.get("description") or ""
        publisher = (content.get("provider") or {}).get("displayName", "")
        published = _epoch_or_iso(content.get("pubDate") or content.get("displayTime"))
    else:
        title, link = raw.get("title"), raw.get("link") or ""
        summary, publisher = raw.get("summary") or "", raw.get("publisher") or ""
        published = _epoch_or_iso(raw.get("providerPublishTime"))
    if not title:
        return None
    return NewsDraft(title=clean_text(title), link=link, summary=clean_text(summary), source="Yahoo Finance",
                     publisher=publisher, published_at=published, symbols=(symbol,))


def parse_feed(data: bytes | str, url: str = "") -> list[NewsDraft]:
    """RSS or Atom text → untagged drafts; source is the feed's title (else its host). Raises DataError when
    the text is not a feed."""
    import feedparser

    parsed = feedparser.parse(data)
    if not parsed.entries and not parsed.get("version"):  # "" when feedparser recognised no feed format
        raise DataError(f"{url or 'feed'} is not an RSS or Atom feed ({getattr(parsed, 'bozo_exception', '')})")
    source = clean_text(parsed.feed.get("title")) or urlsplit(url).netloc or "feed"
    drafts = []
    for entry in parsed.entries:
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        published = datetime.fromtimestamp(calendar.timegm(stamp), UTC) if stamp else None
        title = clean_text(entry.get("title"))
        if title:
            drafts.append(NewsDraft(title=title, link=entry.get("link", ""), summary=clean_text(entry.get("summary")),
                                    source=source, publisher=clean_text(entry.get("author")) or source,
                                    published_at=published))
    return drafts


# --- symbol tagging ---------------------------------------------------------------------------------------

def bare_ticker(symbol: str) -> str:
    """RELIANCE.NS → RELIANCE, ^NSEI → NSEI, BTC-USD → BTC."""
    return re.split(r"[.\-=]", symbol.lstrip("^"))[0]


def symbol_aliases(symbol: str, name: str = "") -> tuple[list[str], list[str]]:
    """(tickers matched case-sensitively as whole words, names matched case-insensitively) for one symbol."""
    tickers = [t for t in {bare_ticker(symbol), symbol} if len(t) >= 2]
    names = {n for n in (name.strip(), _NAME_SUFFIXES.sub("", name.strip())) if len(n) >= 3 and n != symbol}
    names |= set(EXTRA_ALIASES.get(symbol, ()))
    return tickers, sorted(names - set(tickers))


class SymbolTagger:
    """Finds which symbols a headline is about, from tickers ("TCS") and company names ("Reliance")."""

    def __init__(self, names: dict[str, str]) -> None:
        self.patterns: list[tuple[str, re.Pattern[str]]] = []
        for symbol, name in names.items():
            tickers, words = symbol_aliases(symbol, name)
            parts = [re.escape(t) for t in tickers]
            if parts:
                self.patterns.append((symbol, re.compile(rf"(?<!\w)(?:{'|'.join(parts)})(?!\w)")))
            if words:
                alt = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
                self.patterns.append((symbol, re.compile(rf"(?<!\w)(?:{alt})(?!\w)", re.I)))

    def tag(self, *texts: str) -> tuple[str, ...]:
        text = " ".join(t for t in texts if t)
        return tuple(dict.fromkeys(s for s, p in self.patterns if p.search(text)))


def instrument_names(db: Engine, symbols: Iterable[str]) -> dict[str, str]:
    """Company names for tagging: stored instrument rows where present, else Quantdesk's static metadata."""
    from engine.data.instruments import instrument_for
    from storage.instruments import list_instruments

    stored = {i.symbol: i.name for i in list_instruments(db)}
    names = {}
    for symbol in symbols:
        try:
            names[symbol] = stored.get(symbol) or instrument_for(symbol).name
        except DataError:
            continue
    return names


# --- the pipeline -----------------------------------------------------------------------------------------

def load_model(settings: Settings | None = None) -> SentimentModelLike:
    """The configured sentiment model (FinBERT when loadable, else the lexicon), cached by its module."""
    from engine.sentiment import models

    return models.get_model(settings)


def collect(symbols: Sequence[str], feeds: Sequence[str], tagger: SymbolTagger, timeout: float,
            report: FetchReport, progress: Progress | None = None, use_yfinance: bool = True) -> list[NewsDraft]:
    """Fetch every source; failures go to `report.errors` (Yahoo is skipped after it proves offline)."""
    drafts: list[NewsDraft] = []
    steps = [("yahoo", s) for s in (symbols if use_yfinance else ())] + [("feed", u) for u in feeds]
    yahoo_offline = False
    for done, (kind, target) in enumerate(steps, 1):
        if progress:
            progress(done, len(steps), target)
        if kind == "yahoo" and yahoo_offline:
            report.errors[target] = "skipped: Yahoo Finance unreachable"
            continue
        try:
            if kind == "yahoo":
                items = [parse_yfinance_item(r, target) for r in download_ticker_news(target)]
                found = [d for d in items if d is not None]
                drafts += [NewsDraft(**{**asdict(d), "symbols": tuple(dict.fromkeys(
                    (*d.symbols, *tagger.tag(d.title, d.summary))))}) for d in found]
            else:
                found = parse_feed(fetch_url(target, timeout), target)
                drafts += [NewsDraft(**{**asdict(d), "symbols": tagger.tag(d.title, d.summary)}) for d in found]
        except Exception as exc:  # noqa: BLE001 - one failing source never stops the others
            offline = is_offline_error(exc)
            yahoo_offline |= offline and kind == "yahoo"
            report.errors[target] = ("offline: " if offline else "") + f"{type(exc).__name__}: {exc}"[:300]
    return drafts


def score_pending(db: Engine, model: SentimentModelLike, batch_size: int = SCORE_BATCH,
                  progress: Progress | None = None) -> tuple[int, set[str]]:
    """Score every stored item that `model` has not scored, in batches; returns (count, symbols touched)."""
    from storage import news as store
    from storage.db import transaction

    with transaction(db) as s:
        pending = store.unscored_items(s, model.name)
    touched: set[str] = set()
    for start in range(0, len(pending), batch_size):
        batch = pending[start:start + batch_size]
        results = model.score([item.text for item in batch])
        rows = [store.ScoreRow(item.id, model.name, r.label, max(-1.0, min(1.0, float(r.score))),
                               max(0.0, min(1.0, float(r.confidence)))) for item, r in zip(batch, results, strict=True)]
        with transaction(db) as s:
            store.save_scores(s, rows)
            touched |= store.symbols_of(s, [item.id for item in batch])
        if progress:
            progress(start + len(batch), len(pending), "scoring")
    return len(pending), touched


def rebuild_index(db: Engine, symbols: Iterable[str]) -> list[str]:
    """Recompute and store the daily index (every model, whole history) of these symbols; days are in each
    symbol's exchange time zone. Returns the symbols with at least one scored item."""
    from engine.data.instruments import instrument_for
    from engine.sentiment.index import daily_index
    from storage import news as store
    from storage.db import transaction

    done = []
    with transaction(db) as s:
        for symbol in sorted(set(symbols)):
            try:
                zone = instrument_for(symbol).timezone
            except DataError:
                zone = "UTC"
            daily = daily_index(store.scored_news(s, [symbol]), zone)
            for model, rows in daily.groupby("model"):
                store.replace_daily(s, symbol, str(model), rows)
            if not daily.empty:
                done.append(symbol)
    return done


def fetch_news(db: Engine, settings: Settings, symbols: Sequence[str] | None = None, *,
               model: SentimentModelLike | None = None, progress: Progress | None = None) -> FetchReport:
    """Fetch Yahoo news for `symbols` (default: the watchlist) and the configured feeds, store new headlines
    tagged with the symbols they mention, score everything unscored and rebuild the affected daily index.

    Never raises for network trouble: sources that fail are listed in `errors`, with status "partial", or
    "offline" when none answered; stored news is kept either way.
    """
    from storage import news as store
    from storage.db import transaction

    symbols = list(symbols or settings.watchlist)
    report = FetchReport(symbols=symbols)
    tagger = SymbolTagger(instrument_names(db, {*symbols, *settings.watchlist}))
    drafts = collect(symbols, settings.news_feeds, tagger, settings.news_timeout_s, report, progress,
                     use_yfinance=settings.news_yfinance)
    with transaction(db) as s:
        upserted = store.upsert_news(s, drafts)
    report.fetched, report.new, report.duplicates = len(drafts), len(upserted.new_ids), upserted.duplicates
    sources = len(symbols) * settings.news_yfinance + len(settings.news_feeds)
    if report.errors:
        offline = sum(e.startswith(("offline", "skipped")) for e in report.errors.values())
        report.status = "offline" if offline == len(report.errors) == sources else "partial"
        report.notices.append("offline — no news source reachable; showing stored news" if report.status == "offline"
                              else f"{len(report.errors)} of {sources} sources failed")
    touched = set(upserted.tagged_symbols)
    try:
        model = model or load_model(settings)
        report.model = model.name
        report.scored, scored_symbols = score_pending(db, model, progress=progress)
        touched |= scored_symbols
    except Exception as exc:  # noqa: BLE001 - headlines stay stored; they are scored on the next run
        log.exception("news: scoring failed")
        report.notices.append(f"scoring failed ({type(exc).__name__}: {exc}); headlines kept unscored")
        if report.status == "ok":
            report.status = "partial"
    report.indexed = rebuild_index(db, touched)
    return report
