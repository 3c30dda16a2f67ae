"""Quantdesk command line: `python -m engine <command> …` (every command takes --json)."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from typing import Any

from engine.cli import COMMAND_MODULES
from engine.errors import QuantdeskError


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad input as one line and exit code 2 (no usage dump, no traceback)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"error: {message}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m engine", description="Quantdesk command line")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def emit(payload: Any, as_json: bool, text: str | None = None) -> None:
    """Print `payload` as JSON when --json was given, else the human text (or the JSON indented)."""
    if as_json:
        print(json.dumps(payload, default=str))
    else:
        print(text if text is not None else json.dumps(payload, indent=2, default=str))


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except QuantdeskError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`, which closed early: not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
