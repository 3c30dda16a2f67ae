"""Sentiment models behind one interface: FinBERT via transformers, else the finance lexicon."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from engine.errors import ConfigError
from engine.sentiment.lexicon import THRESHOLD, compound, label_for

if TYPE_CHECKING:
    from engine.config import Settings

Label = Literal["positive", "negative", "neutral"]
LABELS: tuple[Label, ...] = ("positive", "negative", "neutral")
BACKENDS = ("auto", "finbert", "lexicon")
LEXICON_NAME = "finance-lexicon"


@dataclass(frozen=True)
class Score:
    """One text's sentiment: `score` is signed in [-1, 1], `confidence` in [0, 1]."""

    label: Label
    score: float
    confidence: float
    model: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@runtime_checkable
class SentimentModel(Protocol):
    """Anything that scores a batch of texts; `name` says which model produced the scores."""

    name: str

    def score(self, texts: list[str]) -> list[Score]: ...


@dataclass(frozen=True)
class ModelStatus:
    """What get_model() gave: backend "finbert" or "lexicon", the model's name, why it fell back."""

    backend: str
    name: str
    reason: str | None

    def describe(self) -> str:
        """One line for a badge, e.g. "lexicon (offline fallback): FinBERT weights not found …"."""
        if self.backend == "finbert":
            return f"FinBERT: {self.name}" + (f" (fp32: {self.reason})" if self.reason else "")
        return f"lexicon (offline fallback): {self.reason}" if self.reason else "lexicon"


class LexiconModel:
    """VADER with a finance lexicon: score = compound; confidence = |compound|, or for a neutral label
    how far the compound sits inside the ±0.05 band (1.0 with no tone words, 0.0 for empty text)."""

    backend = "lexicon"

    def __init__(self, fallback_reason: str | None = None) -> None:
        self.name = LEXICON_NAME
        self.fallback_reason = fallback_reason

    def score(self, texts: list[str]) -> list[Score]:
        return list(map(_lexicon_score, texts))


@lru_cache(maxsize=1 << 16)  # headlines repeat across feed polls; Score is frozen, so sharing is safe
def _lexicon_score(text: str) -> Score:
    if not text or text.isspace():
        return Score("neutral", 0.0, 0.0, LEXICON_NAME)
    return _score_of(compound(text))


@lru_cache(maxsize=1 << 14)  # compounds have 4 decimals and recur: build each Score once
def _score_of(value: float) -> Score:
    label = label_for(value)
    confidence = abs(value) if label != "neutral" else 1.0 - abs(value) / THRESHOLD
    return Score(label, value, round(min(max(confidence, 0.0), 1.0), 4), LEXICON_NAME)  # type: ignore[arg-type]


_LOCK = threading.Lock()
_MODELS: dict[tuple[str, str, int, bool], SentimentModel] = {}


def _settings_key(settings: Settings) -> tuple[str, str, int, bool]:
    backend = str(settings.sentiment_backend).lower()
    if backend not in BACKENDS:
        raise ConfigError(f"sentiment_backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    return backend, str(settings.sentiment_model), int(settings.sentiment_batch_size), bool(settings.sentiment_quantize)


def get_model(settings: Settings | None = None) -> SentimentModel:
    """The configured sentiment model, loaded once per process per (backend, model, batch size, int8).

    Backend "auto" tries FinBERT and falls back to the lexicon (reason in `.fallback_reason`);
    "finbert" raises ConfigError when FinBERT cannot load; "lexicon" never touches torch. Thread-safe.
    """
    if settings is None:
        from engine.config import get_settings

        settings = get_settings()
    key = _settings_key(settings)
    with _LOCK:  # loading FinBERT takes seconds: hold the lock so it happens exactly once
        model = _MODELS.get(key)
        if model is None:
            model = _MODELS[key] = _load(*key)
        return model


def _load(backend: str, model_id: str, batch_size: int, quantize: bool = True) -> SentimentModel:
    if backend == "lexicon":
        return LexiconModel()
    from engine.sentiment.finbert import FinbertLoadError, load_finbert

    try:
        return load_finbert(model_id, batch_size, quantize=quantize)
    except FinbertLoadError as exc:
        if backend == "finbert":
            raise ConfigError(f"FinBERT could not load: {exc} (or set sentiment_backend = \"auto\")") from exc
        return LexiconModel(fallback_reason=str(exc))


def model_status(settings: Settings | None = None) -> ModelStatus:
    """Backend, name and fallback reason of the model get_model() returns (loading it if needed)."""
    model = get_model(settings)
    reason = getattr(model, "precision_note", None) or getattr(model, "fallback_reason", None)
    return ModelStatus(getattr(model, "backend", "lexicon"), model.name, reason)


def clear_models() -> None:
    """Forget loaded models (tests, or after changing the model settings)."""
    with _LOCK:
        _MODELS.clear()
    _lexicon_score.cache_clear()
