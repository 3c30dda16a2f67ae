"""FinBERT through a transformers text-classification pipeline (torch and transformers imported lazily)."""

from __future__ import annotations

import importlib.util
import os
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.errors import ConfigError
from engine.sentiment.models import LABELS, Label, Score

FINBERT_ORDER: tuple[Label, ...] = ("positive", "negative", "neutral")  # ProsusAI/finbert's id order
_ALIASES: dict[str, Label] = {"pos": "positive", "neg": "negative", "neu": "neutral",
                              "bullish": "positive", "bearish": "negative"}


class FinbertLoadError(ConfigError):
    """FinBERT cannot be loaded here (no torch, no transformers, no weights); the message says why."""


def label_map(id2label: Mapping[Any, str]) -> dict[str, Label]:
    """Pipeline label -> our label, case-insensitive; generic LABEL_<i> names read in FinBERT's order."""
    mapping: dict[str, Label] = {}
    for idx, raw in id2label.items():
        name = _ALIASES.get(raw.lower(), raw.lower())
        generic = re.fullmatch(r"label_(\d+)", name)
        if name in LABELS:
            mapping[raw] = name  # type: ignore[assignment]
        elif generic and len(id2label) == 3 and int(idx) < 3:
            mapping[raw] = FINBERT_ORDER[int(idx)]
        else:
            raise FinbertLoadError(f"model label {raw!r} is not positive, negative or neutral")
    if set(mapping.values()) != set(LABELS):
        raise FinbertLoadError(f"model labels {sorted(id2label.values())} do not cover positive, negative, neutral")
    return mapping


class FinbertModel:
    """A loaded classifier: score = P(positive) - P(negative), confidence = P(label)."""

    backend = "finbert"
    fallback_reason: str | None = None

    def __init__(self, pipe: Any, name: str, batch_size: int) -> None:
        self._pipe = pipe
        self._labels = label_map(pipe.model.config.id2label)
        self._lock = threading.Lock()  # one forward pass at a time: pipelines are not thread-safe
        self.name = name
        self.batch_size = batch_size

    def score(self, texts: list[str]) -> list[Score]:
        """Scores in input order; empty texts are neutral with confidence 0 and skip the model."""
        out = [Score("neutral", 0.0, 0.0, self.name)] * len(texts)
        idx = [i for i, t in enumerate(texts) if t and not t.isspace()]
        if idx:
            with self._lock:
                results = self._pipe([texts[i] for i in idx], batch_size=self.batch_size)
            for i, result in zip(idx, results, strict=True):
                out[i] = self._to_score(result)
        return out

    def _to_score(self, result: list[dict[str, Any]]) -> Score:
        probs = dict.fromkeys(LABELS, 0.0)
        for item in result:
            probs[self._labels[item["label"]]] += float(item["score"])
        label = max(LABELS, key=probs.__getitem__)
        signed = min(max(probs["positive"] - probs["negative"], -1.0), 1.0)
        return Score(label, signed, min(probs[label], 1.0), self.name)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def load_finbert(model: str, batch_size: int = 16) -> FinbertModel:
    """Load a text-classification model (Hugging Face id or local directory) on the CPU.

    Raises FinbertLoadError with a one-line reason. A directory, or HF_HUB_OFFLINE=1 read at call time (so
    it holds even when huggingface_hub was imported before it was set), never touches the network.
    """
    for package in ("torch", "transformers"):
        if importlib.util.find_spec(package) is None:
            raise FinbertLoadError(f"{package} is not installed")
    local_only = Path(model).is_dir() or os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes", "on"}
    if not local_only:
        _check_downloadable(model)  # before importing torch/transformers (seconds) for nothing
    try:
        from huggingface_hub.utils import logging as hub_logging
        from transformers import pipeline
        from transformers.utils import logging as hf_logging
    except Exception as exc:  # a broken install must not take the app down: the lexicon takes over
        raise FinbertLoadError(f"transformers failed to import: {_first_line(exc)}") from exc
    hf_logging.set_verbosity_error()
    hub_logging.set_verbosity_error()  # no "Retrying in 2s" lines while an offline download attempt fails
    hf_logging.disable_progress_bar()  # no "Loading weights" bars in CLI output or server logs
    try:
        pipe = pipeline("text-classification", model=model, tokenizer=model, top_k=None, truncation=True,
                        device="cpu", local_files_only=local_only)
    except OSError as exc:
        raise FinbertLoadError(f"FinBERT weights not found for {model!r} (offline and not downloaded, "
                               f"or no such directory)") from exc
    except Exception as exc:
        raise FinbertLoadError(f"{model!r} failed to load: {_first_line(exc)}") from exc
    return FinbertModel(pipe, model, batch_size)


def _check_downloadable(model: str) -> None:
    """Fail fast when the weights are not cached and the hub cannot be reached: a download attempt would
    otherwise retry for ~20 s before the lexicon takes over (every app start on an offline machine)."""
    from huggingface_hub import HfApi, try_to_load_from_cache

    if isinstance(try_to_load_from_cache(model, "config.json"), str):
        return
    try:
        HfApi().model_info(model, timeout=5)
    except Exception as exc:  # noqa: BLE001 - any failure means: no weights to be had right now
        raise FinbertLoadError(f"FinBERT weights for {model!r} are not downloaded and the Hugging Face hub "
                               f"is unreachable ({_first_line(exc)})") from exc
