"""FinBERT path on tiny BERT classifiers saved to disk: batching, int8 quantisation, threads, label mapping."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before anything imports huggingface_hub
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from engine.config import Settings  # noqa: E402
from engine.sentiment import cpu, finbert  # noqa: E402
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


def finbert_settings(model_dir: Path, batch_size: int = 16, quantize: bool = False) -> Settings:
    """fp32 unless asked: the exactness tests below compare against fp32 forward passes."""
    return Settings(sentiment_backend="auto", sentiment_model=str(model_dir), sentiment_batch_size=batch_size,
                    sentiment_quantize=quantize)


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


# --- speed path: length-sorted batches, int8, threads ------------------------------------------------------

def train_tiny_bert(directory: Path, steps: int = 25) -> Path:
    """The tiny BERT fitted for a few steps to the hand-labelled headlines: confident, non-saturated
    probabilities (all labels right, top-two margins >= 0.3), so int8 drift shows in the scores."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    build_tiny_bert(directory, {0: "positive", 1: "negative", 2: "neutral"})
    tokenizer = transformers.AutoTokenizer.from_pretrained(directory)
    net = transformers.AutoModelForSequenceClassification.from_pretrained(directory)
    batch = tokenizer([t for t, _ in HEADLINES], padding=True, return_tensors="pt")
    labels = torch.tensor([LABELS.index(label) for _, label in HEADLINES])  # LABELS is FinBERT's id order
    optimiser = torch.optim.AdamW(net.parameters(), lr=3e-3)
    torch.manual_seed(0)
    net.train()
    for _ in range(steps):
        optimiser.zero_grad()
        net(**batch, labels=labels).loss.backward()
        optimiser.step()
    net.eval().save_pretrained(directory)
    return directory


@pytest.fixture(scope="module")
def trained_dir(tmp_path_factory) -> Path:
    return train_tiny_bert(tmp_path_factory.mktemp("trained-finbert"))


def quantised_linears(model) -> int:
    torch = pytest.importorskip("torch")
    return sum(isinstance(m, torch.ao.nn.quantized.dynamic.Linear) for m in model._network.modules())


def test_length_sorting_keeps_input_order(trained_dir):
    texts = ["Tata Motors shares plunge 8% after weak JLR sales in the quarter, brokerages cut targets", "",
             "Nifty ends flat", "   ", "Infosys beats Q2 estimates, raises revenue guidance", "Shares plunge",
             "Wipro margins expand, stock gains 4%", ""]  # longest first: sorting moves every text
    model = get_model(finbert_settings(trained_dir, batch_size=2))
    scores = model.score(texts)
    alone = [model.score([t])[0] if t.strip() else None for t in texts]
    for s, a in zip(scores, alone, strict=True):
        if a is None:
            assert (s.label, s.score, s.confidence) == ("neutral", 0.0, 0.0)
        else:
            assert (s.label, s.score, s.confidence) == (a.label, pytest.approx(a.score, abs=1e-5),
                                                        pytest.approx(a.confidence, abs=1e-5))
    assert len({round(s.score, 3) for s in scores if s.confidence}) == 5  # five different texts, five scores


def test_int8_is_the_default_and_scores(trained_dir):
    assert Settings().sentiment_quantize is True
    model = get_model(finbert_settings(trained_dir, quantize=True))
    assert (model.precision, model.precision_note) == ("int8", None)
    assert quantised_linears(model) == 2 * 6 + 2  # per layer: q, k, v, attention out, intermediate, out; pooler, classifier
    scores = model.score([t for t, _ in HEADLINES])
    assert all(s.label in LABELS and -1 <= s.score <= 1 and 1 / 3 <= s.confidence <= 1 for s in scores)
    assert {s.model for s in scores} == {f"{trained_dir} (int8)"}  # every score says it came from int8
    assert model_status(finbert_settings(trained_dir, quantize=True)).describe() == f"FinBERT: {trained_dir} (int8)"


def test_int8_agrees_with_fp32(trained_dir):
    texts = [t for t, _ in HEADLINES]
    fp32 = get_model(finbert_settings(trained_dir)).score(texts)
    int8 = get_model(finbert_settings(trained_dir, quantize=True)).score(texts)
    assert [s.label for s in int8] == [s.label for s in fp32] == [label for _, label in HEADLINES]
    assert max(abs(a.score - b.score) for a, b in zip(fp32, int8, strict=True)) < 0.02  # measured: 0.002


def test_int8_scores_barely_depend_on_the_batch(trained_dir):
    """int8 activations are scaled per batch, so a headline's score moves a little with its neighbours."""
    texts = [t for t, _ in HEADLINES]
    batched = get_model(finbert_settings(trained_dir, batch_size=16, quantize=True)).score(texts)
    alone = get_model(finbert_settings(trained_dir, batch_size=1, quantize=True)).score(texts)
    assert [s.label for s in batched] == [s.label for s in alone]
    assert max(abs(a.score - b.score) for a, b in zip(batched, alone, strict=True)) < 0.02


def test_quantize_setting_off_keeps_fp32(trained_dir, monkeypatch):
    monkeypatch.setenv("QUANTDESK_SENTIMENT_QUANTIZE", "false")
    settings = Settings(sentiment_model=str(trained_dir))
    assert settings.sentiment_quantize is False
    model = get_model(settings)
    assert (model.precision, model.precision_note, quantised_linears(model)) == ("fp32", None, 0)
    assert get_model(settings) is model and get_model(finbert_settings(trained_dir, quantize=True)) is not model


def test_model_that_cannot_be_quantised_falls_back_to_fp32(trained_dir, monkeypatch):
    torch = pytest.importorskip("torch")
    reference = get_model(finbert_settings(trained_dir)).score(["Shares plunge", "Infosys beats estimates"])

    def broken(*args, **kwargs):
        raise RuntimeError("Didn't find engine for operation quantized::linear_prepack NoQEngine")

    monkeypatch.setattr(torch.ao.quantization, "quantize_dynamic", broken)
    model = get_model(finbert_settings(trained_dir, quantize=True))
    assert model.precision == "fp32" and quantised_linears(model) == 0
    assert model.precision_note == ("int8 quantisation failed: Didn't find engine for operation "
                                    "quantized::linear_prepack NoQEngine")
    assert model.score(["Shares plunge", "Infosys beats estimates"]) == reference


def test_int8_that_moves_scores_is_refused(trained_dir, monkeypatch):
    reference = get_model(finbert_settings(trained_dir)).score(["Shares plunge", "Infosys beats estimates"])

    def swaps_positive_and_negative(network):  # a quantiser gone wrong, damaging the weights in place
        network.classifier.weight.data[[0, 1]] = network.classifier.weight.data[[1, 0]].clone()
        return network

    monkeypatch.setattr(finbert, "quantize_int8", swaps_positive_and_negative)
    model = get_model(finbert_settings(trained_dir, quantize=True))
    assert model.precision == "fp32"
    assert model.precision_note.startswith("int8 moved a probe headline's score by ")
    assert model.name == str(trained_dir)  # fp32 scores carry the plain model name
    status = model_status(finbert_settings(trained_dir, quantize=True)).describe()
    assert status.startswith(f"FinBERT: {trained_dir} (fp32: int8 moved a probe headline's score by ")
    assert model.score(["Shares plunge", "Infosys beats estimates"]) == reference  # weights reloaded, undamaged


def test_model_without_linear_layers_cannot_be_quantised():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="no Linear layers"):
        cpu.quantize_int8(torch.nn.Sequential(torch.nn.ReLU()))


def test_default_threads(monkeypatch, tmp_path):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(cpu, "available_cpus", lambda: 2)
    assert cpu.default_threads() == 2
    monkeypatch.setattr(cpu, "available_cpus", lambda: 64)
    assert cpu.default_threads() == cpu.MAX_THREADS == 4
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert cpu.default_threads() == 3
    monkeypatch.setenv("OMP_NUM_THREADS", "0")
    assert cpu.default_threads() == 4


def test_available_cpus_reads_a_cgroup_quota(tmp_path):
    import os

    cpus = len(os.sched_getaffinity(0))
    quota = tmp_path / "cpu.max"
    quota.write_text("max 100000\n")
    assert cpu.available_cpus(quota) == cpus
    quota.write_text("150000 100000\n")  # 1.5 CPUs: one full thread
    assert cpu.available_cpus(quota) == 1
    assert cpu.available_cpus(tmp_path / "missing") == cpus


def test_loading_sets_torch_threads(tiny_dir, monkeypatch):
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    monkeypatch.setattr(cpu, "default_threads", lambda: 1)
    try:
        get_model(finbert_settings(tiny_dir))
        assert torch.get_num_threads() == 1
        finbert.load_finbert(str(tiny_dir), quantize=False, threads=2)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
