"""Login CLI: `auth hash-password` from a pipe or typed without echo, `auth unlock`, `auth attempts`."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import bcrypt
import pytest

from engine.__main__ import main

ROOT = Path(__file__).resolve().parents[1]
SECRET = "correct horse battery"


def run(capsys, monkeypatch, *argv: str, stdin: str | None = None) -> tuple[int, str, str]:  # noqa: ANN001
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_hash_password_from_a_pipe_prints_only_the_hash(capsys, monkeypatch) -> None:  # noqa: ANN001
    code, out, err = run(capsys, monkeypatch, "auth", "hash-password", "--rounds", "4", stdin=SECRET + "\n")
    assert code == 0, err
    password_hash = out.strip()
    assert out.count("\n") == 1 and password_hash.startswith("$2b$04$")
    assert bcrypt.checkpw(SECRET.encode(), password_hash.encode())  # the trailing newline is not part of it
    assert SECRET not in out + err


def test_hash_password_json_and_secrets_snippet(capsys, monkeypatch) -> None:  # noqa: ANN001
    code, out, _ = run(capsys, monkeypatch, "auth", "hash-password", "--rounds", "4", "--user", "Alice", "--json",
                       stdin=SECRET)
    payload = json.loads(out)
    assert code == 0 and payload["username"] == "alice" and bcrypt.checkpw(SECRET.encode(),
                                                                          payload["password_hash"].encode())
    code, out, _ = run(capsys, monkeypatch, "auth", "hash-password", "--rounds", "4", "--user", "alice",
                       stdin=SECRET)
    first, second = out.strip().splitlines()
    assert first == "[quantdesk_auth.users.alice]" and second.startswith('password_hash = "$2b$04$')


def test_typed_password_is_read_twice_without_echo(capsys, monkeypatch) -> None:  # noqa: ANN001
    typed = iter([SECRET, SECRET, SECRET, "something else"])
    prompts: list[str] = []
    monkeypatch.setattr(sys, "stdin", type("Tty", (io.StringIO,), {"isatty": lambda self: True})())
    monkeypatch.setattr("getpass.getpass", lambda prompt="": prompts.append(prompt) or next(typed))
    code, out, err = run(capsys, monkeypatch, "auth", "hash-password", "--rounds", "4")
    assert code == 0 and bcrypt.checkpw(SECRET.encode(), out.strip().encode()) and SECRET not in out + err
    assert prompts == ["New password: ", "Repeat it: "]
    code, out, err = run(capsys, monkeypatch, "auth", "hash-password", "--rounds", "4")
    assert code == 1 and out == "" and err == "error: the two passwords differ — run the command again\n"


@pytest.mark.parametrize(("password", "message"), [("", "the password is empty"), ("short", "has 5 characters")])
def test_weak_password_is_one_line_and_non_zero(capsys, monkeypatch, password: str, message: str) -> None:  # noqa: ANN001
    code, out, err = run(capsys, monkeypatch, "auth", "hash-password", stdin=password + "\n")
    assert code == 1 and out == "" and err.count("\n") == 1 and err.startswith("error: ") and message in err


def test_unlock_and_attempts(capsys, monkeypatch, db_engine) -> None:  # noqa: ANN001
    from engine.auth import AuthConfig, locked_until
    from storage.auth import record_attempt

    now = datetime.now(UTC)
    for minutes in range(5, 0, -1):
        record_attempt(db_engine, "alice", False, now - timedelta(minutes=minutes), "10.0.0.7")
    assert locked_until(db_engine, "alice", AuthConfig()) is not None
    code, out, _ = run(capsys, monkeypatch, "auth", "unlock", "Alice", "--json")
    assert code == 0 and json.loads(out) == {"username": "alice", "unlocked": True}
    assert locked_until(db_engine, "alice", AuthConfig()) is None
    code, out, _ = run(capsys, monkeypatch, "auth", "attempts", "--user", "alice", "--json")
    rows = json.loads(out)
    assert code == 0 and [r["ok"] for r in rows] == [True] + [False] * 5
    assert rows[0]["client"] == "cli unlock" and rows[1]["client"] == "10.0.0.7"
    code, out, _ = run(capsys, monkeypatch, "auth", "attempts", "--limit", "2")
    lines = out.strip().splitlines()
    assert len(lines) == 2 and "ok" in lines[0] and "alice  cli unlock" in lines[0] and "FAILED" in lines[1]


def test_hash_password_as_a_subprocess_never_echoes() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "engine", "auth", "hash-password", "--rounds", "4"], cwd=ROOT,
                          env=env, input=SECRET + "\n", capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert bcrypt.checkpw(SECRET.encode(), done.stdout.strip().encode()) and SECRET not in done.stdout + done.stderr
