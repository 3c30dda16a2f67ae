"""Sentiment CLI: `sentiment score` in-process through main() and once as a subprocess."""

from __future__ import annotations

import json
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before anything imports huggingface_hub
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from engine.__main__ import main  # noqa: E402
from engine.sentiment.models import clear_models  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
INFY = "Infosys beats Q2 estimates, raises revenue guidance"
SEBI = "SEBI probes Adani group disclosures"
RBI = "RBI keeps repo rate unchanged at 6.5%"


@pytest.fixture(autouse=True)
def fresh_models():
    clear_models()
    yield
    clear_models()


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_lines_one_per_text(capsys):
    code, out, err = run(capsys, "sentiment", "score", INFY, SEBI, RBI, "--backend", "lexicon", "--json")
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["text"] for r in rows] == [INFY, SEBI, RBI]
    assert [r["label"] for r in rows] == ["positive", "negative", "neutral"]
    assert set(rows[0]) == {"text", "label", "score", "confidence", "model"}
    assert rows[0]["score"] == pytest.approx(0.7906) and rows[1]["score"] < 0 and rows[2]["score"] == 0
    assert {r["model"] for r in rows} == {"finance-lexicon"}


def test_text_output_is_aligned(capsys):
    code, out, _ = run(capsys, "sentiment", "score", INFY, SEBI, "--backend", "lexicon")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["label", "score", "conf", "text"]
    assert lines[1] == f"positive  +0.7906   0.79  {INFY}"
    assert lines[2].startswith("negative  -0.") and lines[2].index(SEBI) == lines[1].index(INFY)
    assert lines[-1] == "model: lexicon"


def test_file_and_arguments_together(capsys, tmp_path):
    path = tmp_path / "headlines.txt"
    path.write_text(f"{SEBI}\n\n   \n{RBI}\n", encoding="utf-8")
    code, out, _ = run(capsys, "sentiment", "score", INFY, "--file", str(path), "--backend", "lexicon", "--json")
    assert code == 0 and [json.loads(line)["text"] for line in out.splitlines()] == [INFY, SEBI, RBI]


@pytest.mark.parametrize("argv", [[], ["", "  "], ["--file", "EMPTY"]])
def test_empty_input_is_one_line_error(capsys, tmp_path, argv):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    argv = [str(empty) if a == "EMPTY" else a for a in argv]
    code, out, err = run(capsys, "sentiment", "score", *argv, "--backend", "lexicon", "--json")
    assert code == 1 and out == "" and err.count("\n") == 1 and "nothing to score" in err


def test_missing_file_is_one_line_error(capsys, tmp_path):
    code, out, err = run(capsys, "sentiment", "score", "--file", str(tmp_path / "nope.txt"), "--json")
    assert code == 1 and out == "" and err.startswith("error: cannot read") and err.count("\n") == 1


def test_bad_batch_size_and_backend(capsys):
    code, _, err = run(capsys, "sentiment", "score", INFY, "--batch-size", "0")
    assert code == 1 and "--batch-size must be at least 1" in err
    with pytest.raises(SystemExit) as exc:
        main(["sentiment", "score", INFY, "--backend", "bert"])
    assert exc.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_auto_with_missing_model_falls_back_and_says_why(capsys, tmp_path):
    missing = str(tmp_path / "no-finbert")
    code, out, _ = run(capsys, "sentiment", "score", SEBI, "--model", missing)
    assert code == 0 and out.splitlines()[1].startswith("negative")
    assert out.splitlines()[-1].startswith("model: lexicon (offline fallback): ")


def test_finbert_backend_that_cannot_load_is_an_error(capsys, tmp_path):
    code, out, err = run(capsys, "sentiment", "score", SEBI, "--backend", "finbert", "--model",
                         str(tmp_path / "no-finbert"), "--json")
    assert code == 1 and out == "" and err.startswith("error: FinBERT could not load: ")


def test_tiny_finbert_through_the_cli(capsys, tmp_path):
    from tests.engine.test_sentiment_finbert import build_tiny_bert

    model_dir = build_tiny_bert(tmp_path / "tiny", {0: "positive", 1: "negative", 2: "neutral"})
    code, out, err = run(capsys, "sentiment", "score", INFY, SEBI, "--model", str(model_dir),
                         "--backend", "finbert", "--batch-size", "1", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0, err
    assert len(rows) == 2 and all(r["model"] == f"{model_dir} (int8)" and -1 <= r["score"] <= 1 for r in rows)
    code, out, err = run(capsys, "sentiment", "score", INFY, "--model", str(model_dir), "--backend", "finbert",
                         "--fp32", "--json")
    assert code == 0, err
    assert json.loads(out)["model"] == str(model_dir)  # exact fp32 scores carry the plain name


def test_subprocess_reads_stdin():
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "QUANTDESK_SENTIMENT_BACKEND": "lexicon"}
    proc = subprocess.run([sys.executable, "-m", "engine", "sentiment", "score", "--file", "-", "--json"],
                          input=f"{INFY}\n{SEBI}\n", capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(line)["label"] for line in proc.stdout.splitlines()] == ["positive", "negative"]
