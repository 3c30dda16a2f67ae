"""FinBERT on the CPU: length-sorted batches, a bounded torch thread pool and optional int8 Linear layers."""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from engine.errors import ConfigError
from engine.sentiment.cpu import configure_threads, quantize_int8
from engine.sentiment.models import LABELS, Label, Score

FINBERT_ORDER: tuple[Label, ...] = ("positive", "negative", "neutral")  # ProsusAI/finbert's id order
_ALIASES: dict[str, Label] = {"pos": "positive", "neg": "negative", "neu": "neutral",
                              "bullish": "positive", "bearish": "negative"}
# scored by fp32 and int8 at load time: int8 is kept only if no signed score moves more than MAX_INT8_DRIFT
PROBES: tuple[str, ...] = (
    "Infosys beats Q2 estimates, raises revenue guidance", "SEBI probes Adani group disclosures",
    "RBI keeps repo rate unchanged at 6.5%", "Tata Motors shares plunge 8% after weak JLR sales",
    "HDFC Bank net profit jumps 20% year on year", "Wipro to announce Q3 results on 12 January",
    "Brokerage downgrades Paytm to sell, cuts target by 15%", "Nifty ends flat in choppy trade",
)
MAX_INT8_DRIFT = 0.1
log = logging.getLogger(__name__)


class FinbertLoadError(ConfigError):
    """FinBERT cannot be loaded here (no torch, no transformers, no weights); the message says why."""


def label_map(id2label: Mapping[Any, str]) -> dict[str, Label]:
    """Model label -> our label, case-insensitive; generic LABEL_<i> names read in FinBERT's order."""
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
    """A loaded classifier: score = P(positive) - P(negative), confidence = P(label).

    `precision` is "int8" (Linear layers dynamically quantised) or "fp32"; `precision_note` says why int8
    was asked for but not used (None otherwise).
    """

    backend = "finbert"
    fallback_reason: str | None = None

    def __init__(self, tokenizer: Any, network: Any, name: str, batch_size: int, precision: str = "fp32",
                 precision_note: str | None = None) -> None:
        config = network.config
        labels = label_map(config.id2label)
        self._labels: list[Label] = [labels[config.id2label[i]] for i in range(len(config.id2label))]
        self._tokenizer, self._network = tokenizer, network
        self._max_len = min(int(tokenizer.model_max_length), int(config.max_position_embeddings))
        self._multi_label = config.problem_type == "multi_label_classification"  # sigmoid, as the pipeline does
        self._lock = threading.Lock()  # one forward pass at a time; the tokenizer's settings are shared too
        self.model_id, self.batch_size = name, batch_size
        self.name = name if precision == "fp32" else f"{name} ({precision})"  # what every score records
        self.precision, self.precision_note = precision, precision_note

    def score(self, texts: list[str]) -> list[Score]:
        """Scores in input order; empty texts are neutral with confidence 0 and skip the model."""
        out = [Score("neutral", 0.0, 0.0, self.name)] * len(texts)
        idx = [i for i, t in enumerate(texts) if t and not t.isspace()]
        for i, probs in zip(idx, self.probabilities([texts[i] for i in idx]), strict=True):
            out[i] = self._to_score(probs)
        return out

    def probabilities(self, texts: list[str]) -> list[list[float]]:
        """Class probabilities (model id order) per text, in input order. Batches are cut from the texts
        sorted by token count, so each pads to little more than its own length (unsorted batches of
        headlines spend a third of their compute on padding)."""
        if not texts:
            return []
        import torch

        out: list[list[float]] = [[] for _ in texts]
        with self._lock, torch.inference_mode():
            enc = self._tokenizer(texts, truncation=True, max_length=self._max_len)
            order = sorted(range(len(texts)), key=lambda i: len(enc["input_ids"][i]))  # stable: ties keep order
            for start in range(0, len(order), self.batch_size):
                chunk = order[start:start + self.batch_size]
                batch = self._tokenizer.pad({k: [v[i] for i in chunk] for k, v in enc.items()}, return_tensors="pt")
                logits = self._network(**batch).logits.float()
                probs = logits.sigmoid() if self._multi_label else logits.softmax(dim=-1)
                for i, row in zip(chunk, probs.tolist(), strict=True):
                    out[i] = row
        return out

    def _to_score(self, probs: Sequence[float]) -> Score:
        by_label = dict.fromkeys(LABELS, 0.0)
        for label, p in zip(self._labels, probs, strict=True):
            by_label[label] += float(p)
        label = max(LABELS, key=by_label.__getitem__)
        signed = min(max(by_label["positive"] - by_label["negative"], -1.0), 1.0)
        return Score(label, signed, min(by_label[label], 1.0), self.name)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def load_finbert(model: str, batch_size: int = 16, quantize: bool = True, threads: int | None = None
                 ) -> FinbertModel:
    """Load a text-classification model (Hugging Face id or local directory) on the CPU.

    `quantize` makes its Linear layers int8 (about twice the headlines/s) unless that fails or moves a probe
    headline's score by more than MAX_INT8_DRIFT: then fp32 is kept, the reason in `.precision_note`.
    `threads` sets torch's thread count (default: see engine.sentiment.cpu.configure_threads).
    Raises FinbertLoadError with a one-line reason. A directory, or HF_HUB_OFFLINE=1 read at call time (so
    it holds even when huggingface_hub was imported before it was set), never touches the network.
    """
    for package in ("torch", "transformers"):
        if importlib.util.find_spec(package) is None:
            raise FinbertLoadError(f"{package} is not installed")
    local_only = Path(model).is_dir() or os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes", "on"}
    if not local_only:
        _check_downloadable(model)  # before importing torch/transformers (seconds) for nothing
    tokenizer, network = _load_network(model, local_only)
    configure_threads(threads)
    loaded = FinbertModel(tokenizer, network, model, batch_size)
    return _with_int8(loaded, lambda: _load_network(model, local_only)[1]) if quantize else loaded


def _load_network(model: str, local_only: bool) -> tuple[Any, Any]:
    """(tokenizer, fp32 classifier in eval mode); raises FinbertLoadError."""
    try:
        import torch
        from huggingface_hub.utils import logging as hub_logging
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        from transformers.utils import logging as hf_logging
    except Exception as exc:  # a broken install must not take the app down: the lexicon takes over
        raise FinbertLoadError(f"transformers failed to import: {_first_line(exc)}") from exc
    hf_logging.set_verbosity_error()
    hub_logging.set_verbosity_error()  # no "Retrying in 2s" lines while an offline download attempt fails
    hf_logging.disable_progress_bar()  # no "Loading weights" bars in CLI output or server logs
    try:
        tokenizer = AutoTokenizer.from_pretrained(model, local_files_only=local_only)
        network = AutoModelForSequenceClassification.from_pretrained(  # fp32: CPU kernels and int8 need it
            model, local_files_only=local_only, dtype=torch.float32)
    except OSError as exc:
        raise FinbertLoadError(f"FinBERT weights not found for {model!r} (offline and not downloaded, "
                               f"or no such directory)") from exc
    except Exception as exc:
        raise FinbertLoadError(f"{model!r} failed to load: {_first_line(exc)}") from exc
    return tokenizer, network.eval()


def _with_int8(fp32: FinbertModel, reload: Callable[[], Any]) -> FinbertModel:
    """`fp32` with int8 Linear layers, or an fp32 model noting why not (quantisation happens in place to
    spare a second copy of the weights, so a failure reloads them with `reload`)."""
    reference = fp32.probabilities(list(PROBES))
    try:
        network = quantize_int8(fp32._network)
        int8 = FinbertModel(fp32._tokenizer, network, fp32.model_id, fp32.batch_size, "int8")
        drift = max(abs(fp32._to_score(a).score - fp32._to_score(b).score)
                    for a, b in zip(reference, int8.probabilities(list(PROBES)), strict=True))
    except Exception as exc:  # noqa: BLE001 - no int8 engine, API removed from torch, unsupported layers …
        note = f"int8 quantisation failed: {_first_line(exc)}"
    else:
        if drift <= MAX_INT8_DRIFT:
            return int8
        note = f"int8 moved a probe headline's score by {drift:.3f} (more than {MAX_INT8_DRIFT})"
    log.warning("FinBERT %s runs in fp32: %s", fp32.name, note)
    return FinbertModel(fp32._tokenizer, reload(), fp32.model_id, fp32.batch_size, "fp32", note)


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
