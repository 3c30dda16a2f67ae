"""Login commands: `auth hash-password` (bcrypt hash for secrets.toml), `auth unlock`, `auth attempts`."""

from __future__ import annotations

import argparse
import getpass
import sys

from engine.__main__ import emit
from engine.auth import DEFAULT_ROUNDS, hash_password, normalise_username, unlock
from engine.cli.data_cmd import open_db
from engine.errors import DataError


def read_password(confirm: bool = True) -> str:
    """The new password: from a pipe (first line) or, on a terminal, typed twice without echo."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("New password: ")
    if confirm and getpass.getpass("Repeat it: ") != password:
        raise DataError("the two passwords differ — run the command again")
    return password


def cmd_hash_password(args: argparse.Namespace) -> int:
    password_hash = hash_password(read_password(), rounds=args.rounds)
    user = normalise_username(args.user) if args.user else None
    payload = {"password_hash": password_hash, **({"username": user} if user else {})}
    text = (f'[quantdesk_auth.users.{user}]\npassword_hash = "{password_hash}"' if user else password_hash)
    emit(payload, args.json, text)
    if not args.json and sys.stderr.isatty():
        sys.stderr.write("Put it in .streamlit/secrets.toml under [quantdesk_auth.users.<name>] as password_hash.\n")
    return 0


def cmd_unlock(args: argparse.Namespace) -> int:
    name = normalise_username(args.username)
    if not name:
        raise DataError("give the username to unlock, e.g. `auth unlock alice`")
    unlock(open_db(), name)
    emit({"username": name, "unlocked": True}, args.json, f"{name}: unlocked — failed logins no longer count")
    return 0


def cmd_attempts(args: argparse.Namespace) -> int:
    from storage.auth import recent_attempts

    rows = recent_attempts(open_db(), normalise_username(args.user) if args.user else None, limit=args.limit)
    payload = [{"id": r.id, "username": r.username, "at": r.at.isoformat(), "ok": r.ok, "client": r.client}
               for r in rows]
    lines = [f"{r.at:%Y-%m-%d %H:%M:%S} UTC  {'ok    ' if r.ok else 'FAILED'}  {r.username}  {r.client}".rstrip()
             for r in rows]
    emit(payload, args.json, "\n".join(lines) if lines else "no login attempts recorded")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `auth hash-password|unlock|attempts` to the CLI."""
    auth = subparsers.add_parser("auth", help="login: password hashes, locked users, login attempts")
    sub = auth.add_subparsers(dest="auth_command", required=True, parser_class=type(auth))
    p = sub.add_parser("hash-password", help="print the bcrypt hash of a password read from stdin or typed")
    p.add_argument("--user", help="print a secrets.toml snippet for this username instead of the bare hash")
    p.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS, choices=range(4, 17), metavar="4..16",
                   help=f"bcrypt cost factor (default {DEFAULT_ROUNDS})")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_hash_password)
    p = sub.add_parser("unlock", help="let a user locked by failed logins try again at once")
    p.add_argument("username")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_unlock)
    p = sub.add_parser("attempts", help="the latest login attempts, newest first")
    p.add_argument("--user", help="only this username")
    p.add_argument("--limit", type=int, default=50, help="how many (default 50)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_attempts)
