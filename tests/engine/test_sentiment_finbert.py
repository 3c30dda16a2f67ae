"""FinBERT path on a tiny randomly initialised BERT classifier saved to disk; label mapping."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before anything imports huggingface_hub
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from engine.config import Settings  # noqa: E402
from engine.sentiment.finbert import FinbertLoadError, label_map  # noqa: E402
from engine.sentiment.models import LABELS, clear_models, get_model, model_status  # noqa: E402
from tests.engine.sentiment_headlines import HEADLINES  # noqa: E402

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *sorted({
    w.strip(",.:%'") for text, _ in HEADLINES for w in text.lower().split() if w.strip(",.:%'")})]


def build_tiny_bert(directory: Path, id2label: dict[int, str], seed: int = 0) -> Path:
    """A 2-layer, 32-wide BERT classifier with random weights and a headline vocabulary, saved to disk."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "vocab.txt").write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    transformers.BertTokenizer(str(directory / "vocab.txt")).save_pretrained(directory)
    config = transformers.BertConfig(
        vocab_size=len(VOCAB), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, num_labels=3, id2label=id2label, label2id={v: k for k, v in id2label.items()},
    )
    torch.manual_seed(seed)
    transformers.BertForSequenceClassification(config).save_pretrained(directory)
    return directory


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory) -> Path:
    return build_tiny_bert(tmp_path_factory.mktemp("tiny-finbert"), {0: "Positive", 1: "NEGATIVE", 2: "neutral"})


@pytest.fixture(autouse=True)
def fresh_models():
    clear_models()
    yield
    clear_models()


def finbert_settings(model_dir: Path, batch_size: int = 16) -> Settings:
    return Settings(sentiment_backend="auto", sentiment_model=str(model_dir), sentiment_batch_size=batch_size)


def test_tiny_model_loads_as_finbert_backend(tiny_dir):
    model = get_model(finbert_settings(tiny_dir))
    status = model_status(finbert_settings(tiny_dir))
    assert (status.backend, status.name, status.reason) == ("finbert", str(tiny_dir), None)
    assert model.name == str(tiny_dir) and getattr(model, "fallback_reason", None) is None


def test_fifty_texts_in_batches_are_in_range(tiny_dir):
    texts = [t for t, _ in HEADLINES][:50]
    scores = get_model(finbert_settings(tiny_dir, batch_size=16)).score(texts)
    assert len(scores) == 50
    assert all(s.label in LABELS and -1 <= s.score <= 1 and 1 / 3 <= s.confidence <= 1 for s in scores)
    assert all(s.model == str(tiny_dir) for s in scores)
    one_by_one = get_model(finbert_settings(tiny_dir, batch_size=1)).score(texts)
    assert [s.label for s in one_by_one] == [s.label for s in scores]
    assert [s.score for s in one_by_one] == pytest.approx([s.score for s in scores], abs=1e-5)


def test_scores_match_a_direct_forward_pass(tiny_dir):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    texts = ["Infosys beats Q2 estimates, raises revenue guidance", "SEBI probes Adani group disclosures"]
    tokenizer = transformers.AutoTokenizer.from_pretrained(tiny_dir)
    net = transformers.AutoModelForSequenceClassification.from_pretrained(tiny_dir).eval()
    with torch.no_grad():
        probs = torch.softmax(net(**tokenizer(texts, padding=True, return_tensors="pt")).logits, dim=-1)
    scores = get_model(finbert_settings(tiny_dir)).score(texts)
    for s, p in zip(scores, probs.tolist(), strict=True):
        assert s.score == pytest.approx(p[0] - p[1], abs=1e-5)  # id 0 positive, 1 negative
        assert s.confidence == pytest.approx(max(p), abs=1e-5) and s.label == LABELS[p.index(max(p))]


def test_empty_texts_skip_the_model(tiny_dir):
    scores = get_model(finbert_settings(tiny_dir)).score(["", "Shares plunge", "  "])
    assert scores[0].confidence == 0.0 and scores[2].label == "neutral" and scores[1].confidence > 0
    assert get_model(finbert_settings(tiny_dir)).score([]) == []


def test_generic_label_names_read_in_finbert_order(tmp_path):
    model_dir = build_tiny_bert(tmp_path / "generic", {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"})
    model = get_model(finbert_settings(model_dir))
    assert model.name == str(model_dir) and model.score(["Shares plunge"])[0].label in LABELS


def test_missing_directory_falls_back_with_reason(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    status = model_status(finbert_settings(tmp_path / "nope"))
    assert status.backend == "lexicon" and "FinBERT weights not found" in status.reason


def test_unusable_labels_fall_back(tmp_path):
    model_dir = build_tiny_bert(tmp_path / "topics", {0: "sports", 1: "politics", 2: "tech"})
    status = model_status(finbert_settings(model_dir))
    assert status.backend == "lexicon" and "'sports' is not positive, negative or neutral" in status.reason


@pytest.mark.parametrize(("id2label", "expected"), [
    ({0: "positive", 1: "negative", 2: "neutral"}, {"positive": "positive", "negative": "negative",
                                                    "neutral": "neutral"}),
    ({0: "NEG", 1: "Neu", 2: "POS"}, {"NEG": "negative", "Neu": "neutral", "POS": "positive"}),
    ({"0": "LABEL_0", "1": "LABEL_1", "2": "LABEL_2"}, {"LABEL_0": "positive", "LABEL_1": "negative",
                                                        "LABEL_2": "neutral"}),
])
def test_label_map(id2label, expected):
    assert label_map(id2label) == expected


@pytest.mark.parametrize("id2label", [{0: "positive", 1: "negative"}, {0: "positive", 1: "positive", 2: "x"},
                                      {0: "LABEL_0", 1: "LABEL_1"}])
def test_label_map_rejects_incomplete_labels(id2label):
    with pytest.raises(FinbertLoadError):
        label_map(id2label)
