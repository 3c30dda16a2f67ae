"""Local servers for notification tests: a small real SMTP server and an HTTP server that records webhook posts."""

from __future__ import annotations

import base64
import email
import email.header
import json
import socket
import socketserver
import threading
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from engine.config import get_settings
from engine.secrets import generate_key


@pytest.fixture(autouse=True)
def fast_notify(monkeypatch: pytest.MonkeyPatch) -> None:
    """Import into a test module to run it with a fresh secret key and sub-second notification retries."""
    monkeypatch.setenv("QUANTDESK_SECRET_KEY", generate_key())
    monkeypatch.setenv("QUANTDESK_NOTIFY_RETRY_WAIT_S", "0.01")
    monkeypatch.setenv("QUANTDESK_NOTIFY_TIMEOUT_S", "3")
    get_settings.cache_clear()


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_to: list[str]
    message: Message
    login: tuple[str, str] | None = None

    @property
    def subject(self) -> str:
        header = email.header.decode_header(self.message["Subject"] or "")
        return "".join(p.decode(c or "utf-8") if isinstance(p, bytes) else p for p, c in header)

    @property
    def text(self) -> str:
        parts = self.message.walk() if self.message.is_multipart() else [self.message]
        return "".join(p.get_payload(decode=True).decode(p.get_content_charset() or "utf-8")
                       for p in parts if p.get_content_maintype() == "text")


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Plain SMTP (RFC 5321 subset): EHLO/HELO, AUTH PLAIN/LOGIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    server: SmtpServer

    def _send(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def _line(self) -> str:
        return self.rfile.readline().decode("utf-8", "replace").rstrip("\r\n")

    def handle(self) -> None:
        self._send("220 quantdesk-test ESMTP")
        mail_from, rcpts, login = "", [], None
        while True:
            line = self._line()
            verb, _, arg = line.partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                self._send("250-quantdesk-test")
                if self.server.credentials:
                    self._send("250-AUTH PLAIN LOGIN")
                self._send("250 8BITMIME")
            elif verb == "HELO":
                self._send("250 quantdesk-test")
            elif verb == "AUTH":
                login = self._auth(arg)
                if login is None:
                    return
            elif verb == "MAIL":
                mail_from, rcpts = arg.split(":", 1)[1].strip().split()[0].strip("<>"), []
                self._send("250 OK")
            elif verb == "RCPT":
                rcpts.append(arg.split(":", 1)[1].strip().strip("<>"))
                self._send("250 OK")
            elif verb == "DATA":
                self._send("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while (data := self._line()) != ".":
                    lines.append(data[1:] if data.startswith("..") else data)
                self.server.received.append(ReceivedMail(mail_from, rcpts, email.message_from_string(
                    "\n".join(lines)), login))
                self._send("250 OK: queued")
            elif verb in ("RSET", "NOOP"):
                self._send("250 OK")
            elif verb == "QUIT":
                self._send("221 Bye")
                return
            elif not line:
                return
            else:
                self._send("502 Command not implemented")

    def _auth(self, arg: str) -> tuple[str, str] | None:
        mechanism, _, initial = arg.partition(" ")
        if mechanism.upper() == "PLAIN":
            if not initial:
                self._send("334 ")
                initial = self._line()
            _, user, password = base64.b64decode(initial).decode().split("\0")
        else:  # LOGIN
            self._send("334 " + base64.b64encode(b"Username:").decode())
            user = base64.b64decode(self._line()).decode()
            self._send("334 " + base64.b64encode(b"Password:").decode())
            password = base64.b64decode(self._line()).decode()
        if (user, password) != self.server.credentials:
            self._send("535 5.7.8 Authentication credentials invalid")
            return None
        self._send("235 2.7.0 Authentication successful")
        return user, password


class SmtpServer(socketserver.ThreadingTCPServer):
    """A real SMTP server on 127.0.0.1 (no TLS); `credentials` turns on AUTH and checks them."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, credentials: tuple[str, str] | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.credentials = credentials
        self.received: list[ReceivedMail] = []
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.shutdown()
        self.server_close()


@dataclass
class Post:
    path: str
    headers: dict[str, str]
    payload: Any


@dataclass
class WebhookServer:
    """An HTTP server on 127.0.0.1 recording JSON POSTs; answers `status` (settable to simulate failures)."""

    status: int = 200
    posts: list[Post] = field(default_factory=list)

    def __post_init__(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server naming
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                owner.posts.append(Post(self.path, dict(self.headers), json.loads(raw or b"null")))
                self.send_response(owner.status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/quantdesk"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
