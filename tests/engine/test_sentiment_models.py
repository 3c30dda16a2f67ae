"""Sentiment model interface: Score, the lexicon model, get_model caching, fallbacks and their reasons."""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import threading
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before anything imports huggingface_hub
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import pytest  # noqa: E402
from pydantic import ValidationError  # noqa: E402

from engine.config import Settings  # noqa: E402
from engine.errors import ConfigError  # noqa: E402
from engine.sentiment import models  # noqa: E402
from engine.sentiment.models import (  # noqa: E402
    LexiconModel,
    Score,
    SentimentModel,
    clear_models,
    get_model,
    model_status,
)


@pytest.fixture(autouse=True)
def fresh_models():
    clear_models()
    yield
    clear_models()


def settings(**kw) -> Settings:
    return Settings(**kw)


def test_lexicon_model_scores_in_range_with_labels():
    model = get_model(settings(sentiment_backend="lexicon"))
    texts = ["Infosys beats Q2 estimates, raises revenue guidance", "SEBI probes Adani group disclosures",
             "RBI keeps repo rate unchanged at 6.5%", "", "   "]
    scores = model.score(texts)
    assert [s.label for s in scores] == ["positive", "negative", "neutral", "neutral", "neutral"]
    assert all(-1 <= s.score <= 1 and 0 <= s.confidence <= 1 and s.model == "finance-lexicon" for s in scores)
    assert scores[0].score == pytest.approx(0.7906) and scores[0].confidence == pytest.approx(0.7906)
    assert scores[2].confidence == 1.0 and scores[3] == Score("neutral", 0.0, 0.0, "finance-lexicon")
    assert model.score([]) == []


def test_score_is_frozen_and_serialisable():
    score = Score("positive", 0.5, 0.5, "m")
    with pytest.raises(dataclasses.FrozenInstanceError):
        score.score = 1.0  # type: ignore[misc]
    assert score.as_dict() == {"label": "positive", "score": 0.5, "confidence": 0.5, "model": "m"}


def test_neutral_confidence_shrinks_towards_the_threshold():
    weak = LexiconModel().score(["Tata group backed startup lists on NSE"])[0]  # "backed" +0.1 in VADER
    assert weak.label == "neutral" and weak.score == pytest.approx(0.1 / (0.01 + 15) ** 0.5, abs=1e-4)
    assert weak.confidence == pytest.approx(1 - weak.score / 0.05, abs=1e-3)


def test_models_satisfy_the_protocol():
    assert isinstance(LexiconModel(), SentimentModel)


def test_get_model_is_cached_per_settings():
    lex = settings(sentiment_backend="lexicon")
    assert get_model(lex) is get_model(settings(sentiment_backend="lexicon"))
    assert get_model(lex) is not get_model(settings(sentiment_backend="lexicon", sentiment_batch_size=8))


def test_get_model_loads_once_under_concurrency(monkeypatch):
    calls: list[int] = []

    def slow_load(*key):
        calls.append(1)
        time.sleep(0.2)
        return LexiconModel()

    monkeypatch.setattr(models, "_load", slow_load)
    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(get_model(settings()))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len({id(r) for r in results}) == 1 and len(results) == 8


def test_get_model_defaults_to_process_settings(monkeypatch):
    monkeypatch.setenv("QUANTDESK_SENTIMENT_BACKEND", "lexicon")
    from engine.config import get_settings

    get_settings.cache_clear()
    try:
        assert get_model().name == "finance-lexicon" and model_status().reason is None
    finally:
        get_settings.cache_clear()


def test_auto_falls_back_without_torch(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    status = model_status(settings(sentiment_backend="auto"))
    assert (status.backend, status.name) == ("lexicon", "finance-lexicon")
    assert status.reason == "torch is not installed"
    assert status.describe() == "lexicon (offline fallback): torch is not installed"


def test_finbert_backend_raises_instead_of_falling_back(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    with pytest.raises(ConfigError, match="FinBERT could not load: torch is not installed"):
        get_model(settings(sentiment_backend="finbert"))


def test_auto_with_missing_weights_offline_falls_back_with_reason():
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    start = time.perf_counter()
    model = get_model(settings(sentiment_backend="auto", sentiment_model="quantdesk-test/no-such-finbert"))
    assert time.perf_counter() - start < 30  # HF_HUB_OFFLINE: fails at once instead of retrying the network
    assert model.name == "finance-lexicon"
    assert "FinBERT weights not found for 'quantdesk-test/no-such-finbert'" in model.fallback_reason
    assert model.score(["Shares plunge"])[0].label == "negative"


def test_settings_validate_backend_and_batch():
    assert Settings().sentiment_backend == "auto" and Settings().sentiment_model == "ProsusAI/finbert"
    assert Settings().sentiment_batch_size == 16
    with pytest.raises(ValidationError):
        Settings(sentiment_backend="bert")
    with pytest.raises(ValidationError):
        Settings(sentiment_batch_size=0)


def test_status_describes_finbert():
    assert models.ModelStatus("finbert", "ProsusAI/finbert", None).describe() == "FinBERT: ProsusAI/finbert"
    assert models.ModelStatus("lexicon", "finance-lexicon", None).describe() == "lexicon"
