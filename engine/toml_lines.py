"""Set top-level keys of a TOML document in place (comments, other keys and tables kept) and write it atomically."""

from __future__ import annotations

import json
import math
import os
import tempfile
import tomllib
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from engine.errors import ConfigError

HEADER = ("# Quantdesk settings (see README → Configuration). The Settings page edits the keys it knows and\n"
          "# keeps the rest; environment variables QUANTDESK_<NAME> override anything here.\n")


def format_value(value: Any) -> str:
    """A scalar, date or list of them as a TOML value (strings as basic strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")  # JSON escapes are TOML escapes
    if isinstance(value, Sequence):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    raise TypeError(f"cannot write a {type(value).__name__} to TOML")


def _statements(lines: list[str]) -> tuple[dict[str, tuple[int, int]], int]:
    """Top-level key → (first line, end line) of its statement, and the line where the first table starts."""
    spans: dict[str, tuple[int, int]] = {}
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        if stripped.startswith("["):  # a statement starting with "[" is a table header
            return spans, i
        for j in range(i + 1, len(lines) + 1):  # a value may span lines (arrays, multi-line strings)
            try:
                parsed = tomllib.loads("".join(lines[i:j]))
            except tomllib.TOMLDecodeError:
                continue
            break
        else:
            raise ConfigError(f"the config file is not valid TOML near line {i + 1}")
        for key in parsed:
            spans.setdefault(key, (i, j))
        i = j
    return spans, len(lines)


def _with_comment(statement: str, old_line: str) -> str:
    """`statement` followed by the inline comment of `old_line` (kept in its column when there is room)."""
    body = old_line.rstrip("\r\n")
    whole = tomllib.loads(body)
    for pos, char in enumerate(body):
        if char != "#":
            continue
        try:
            if tomllib.loads(body[:pos]) == whole:
                return statement + " " * max(2, pos - len(statement)) + body[pos:]
        except tomllib.TOMLDecodeError:
            continue
    return statement


def set_top_level(text: str, values: Mapping[str, Any]) -> str:
    """`text` with each key of `values` set at the top level: replaced where it stands (its inline comment
    kept), else added after the last top-level statement. Raises ConfigError if the result would not
    read back as expected (the file is then left alone)."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    spans, tables_at = _statements(lines)
    edits: list[tuple[int, int, list[str]]] = []
    added: list[str] = []
    for key, value in values.items():
        statement = f"{key} = {format_value(value)}"
        if key in spans:
            start, end = spans[key]
            edits.append((start, end, [(_with_comment(statement, lines[start]) if end - start == 1 else statement)
                                       + "\n"]))
        else:
            added.append(statement + "\n")
    if added:
        at = tables_at
        while at > 0 and not lines[at - 1].strip():
            at -= 1  # after the last statement, before the blank lines that lead into the tables
        edits.append((at, at, added))
    for start, end, new in sorted(edits, key=lambda e: e[0], reverse=True):
        lines[start:end] = new
    result = "".join(lines)
    _check(text, result, values)
    return result


def _check(before: str, after: str, values: Mapping[str, Any]) -> None:
    expected = {**tomllib.loads(before), **{k: _plain(v) for k, v in values.items()}}
    try:
        written = tomllib.loads(after)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"could not update the config file safely ({exc}); edit it by hand") from exc
    if written != expected:
        raise ConfigError("could not update the config file safely (a key is written in a form the Settings "
                          "page does not edit, e.g. as a dotted key); edit it by hand")


def _plain(value: Any) -> Any:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        return value
    return [_plain(v) for v in value]


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to a temporary file beside `path`, then rename it over `path` (never half-written).

    An existing file keeps its permission bits; a new one is readable by its owner only (0600).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else None
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
