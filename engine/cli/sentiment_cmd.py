"""Sentiment command: `sentiment score` — label headlines with FinBERT or the finance lexicon (no database)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from engine.config import get_settings
from engine.errors import DataError
from engine.sentiment.models import BACKENDS, Score, get_model, model_status


def read_texts(texts: list[str], file: str | None) -> list[str]:
    """TEXT arguments then the file's non-blank lines ("-" reads stdin); raises DataError when empty."""
    out = [t for t in texts if t.strip()]
    if file is not None:
        try:
            body = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DataError(f"cannot read {file}: {exc.strerror if isinstance(exc, OSError) else exc}") from exc
        out += [line.strip() for line in body.splitlines() if line.strip()]
    if not out:
        raise DataError('nothing to score: pass one or more TEXT arguments or --file with one headline per line')
    return out


def format_rows(texts: list[str], scores: list[Score]) -> list[str]:
    """Aligned text output: label, signed score, confidence, text."""
    rows = [f"{'label':<8}  {'score':>7}  {'conf':>5}  text"]
    rows += [f"{s.label:<8}  {s.score:>+7.4f}  {s.confidence:>5.2f}  {t}" for t, s in zip(texts, scores)]
    return rows


def cmd_score(args: argparse.Namespace) -> int:
    texts = read_texts(args.text, args.file)
    if args.batch_size is not None and args.batch_size < 1:
        raise DataError(f"--batch-size must be at least 1, got {args.batch_size}")
    update = {"sentiment_model": args.model, "sentiment_backend": args.backend,
              "sentiment_batch_size": args.batch_size, "sentiment_quantize": False if args.fp32 else None}
    settings = get_settings().model_copy(update={k: v for k, v in update.items() if v is not None})
    scores = get_model(settings).score(texts)
    if args.json:
        for text, score in zip(texts, scores):
            print(json.dumps({"text": text, **score.as_dict()}, ensure_ascii=False))
    else:
        print("\n".join(format_rows(texts, scores)))
        print(f"model: {model_status(settings).describe()}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `sentiment score` to the CLI."""
    sentiment = subparsers.add_parser("sentiment", help="news sentiment: score headlines")
    sub = sentiment.add_subparsers(dest="sentiment_command", required=True, parser_class=type(sentiment))
    p = sub.add_parser("score", help="label texts positive / negative / neutral with a signed score")
    p.add_argument("text", nargs="*", help="headlines or sentences to score (quote each one)")
    p.add_argument("--file", help="read more texts from this file, one per line ('-' for stdin)")
    p.add_argument("--model", help="FinBERT model id or local directory (default: the sentiment_model setting)")
    p.add_argument("--backend", choices=BACKENDS, help="auto (FinBERT, else lexicon), finbert or lexicon")
    p.add_argument("--batch-size", type=int, help="texts per transformer batch (default: the setting, 16)")
    p.add_argument("--fp32", action="store_true",
                   help="run FinBERT in exact fp32 instead of int8 (about half the speed; repeatable scores)")
    p.add_argument("--json", action="store_true", help="print one JSON object per text, one per line")
    p.set_defaults(func=cmd_score)
