"""A bounded in-memory log of the "engine" and "storage" loggers (secrets redacted) for the Health view."""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

DEFAULT_CAPACITY = 1000
LOGGERS = ("engine", "storage")
REDACTED = "••••"
# Things that look like credentials: a URL's password, key=value / key: value pairs named like a secret,
# bearer tokens and Telegram bot tokens. Known secret values are masked as well (see `add_secret`).
_PATTERNS = (
    (re.compile(r"(?P<keep>[a-z][a-z0-9+.\-]*://[^\s:/@]*:)[^\s@/]+(?=@)", re.I), r"\g<keep>" + REDACTED),
    (re.compile(r"(?P<keep>\b(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|secret[_-]?key)"
                r"\b[\"']?\s*[:=]\s*[\"']?)[^\s\"',;&]+", re.I), r"\g<keep>" + REDACTED),
    (re.compile(r"(?P<keep>\bBearer\s+)[A-Za-z0-9._~+/=\-]+", re.I), r"\g<keep>" + REDACTED),
    (re.compile(r"\b\d{6,12}:[A-Za-z0-9_\-]{30,}\b"), REDACTED),  # Telegram bot token
)


@dataclass(frozen=True)
class LogLine:
    """One formatted record: time (UTC), level name and number, logger name, message (redacted)."""

    at: datetime
    level: str
    levelno: int
    logger: str
    message: str

    @property
    def is_warning(self) -> bool:
        """True for WARNING and above (the Health view highlights these)."""
        return self.levelno >= logging.WARNING


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with URL passwords, secret-named values, bearer/bot tokens and the given values masked."""
    for value in secrets:
        if value and len(value) >= 4:
            text = text.replace(value, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RingBufferHandler(logging.Handler):
    """Keeps the last `capacity` records as LogLines; older ones drop off. Thread-safe."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY, level: int = logging.INFO) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        super().__init__(level)
        self._lines: deque[LogLine] = deque(maxlen=capacity)
        self._secrets: set[str] = set()
        self._guard = threading.Lock()  # readers vs. emit (which runs under the handler's own lock)

    @property
    def capacity(self) -> int:
        return self._lines.maxlen or 0

    def add_secret(self, value: str) -> None:
        """Mask `value` wherever it appears in later messages (e.g. the configured secret key)."""
        if value:
            with self._guard:
                self._secrets.add(value)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                message += f" — {type(record.exc_info[1]).__name__}: {record.exc_info[1]}"
            with self._guard:
                secrets = tuple(self._secrets)
            line = LogLine(datetime.fromtimestamp(record.created, UTC), record.levelname, record.levelno,
                           record.name, redact(message, secrets))
            with self._guard:
                self._lines.append(line)
        except Exception:  # noqa: BLE001 - logging must never raise into the caller
            self.handleError(record)

    def lines(self, limit: int | None = None) -> list[LogLine]:
        """The kept lines, oldest first; only the newest `limit` when given."""
        with self._guard:
            kept = list(self._lines)
        return kept[-limit:] if limit else kept

    def clear(self) -> None:
        with self._guard:
            self._lines.clear()


_installed: RingBufferHandler | None = None
_install_lock = threading.Lock()


def install_log_buffer(capacity: int = DEFAULT_CAPACITY, loggers: Iterable[str] = LOGGERS) -> RingBufferHandler:
    """Attach one RingBufferHandler to `loggers` (once per process; later calls return the same handler).

    Loggers without a level are set to INFO so the buffer sees INFO lines. Attaching a handler stops
    Python's last-resort stderr output for these loggers, so when the root logger has no handler a
    WARNING-level stderr handler is attached beside it (warnings still reach the server's console).
    """
    global _installed
    with _install_lock:
        if _installed is None:
            _installed = RingBufferHandler(capacity)
        for name in loggers:
            logger = logging.getLogger(name)
            if _installed not in logger.handlers:
                logger.addHandler(_installed)
                if logger.level == logging.NOTSET:
                    logger.setLevel(logging.INFO)
                if not logging.getLogger().handlers and not any(
                        isinstance(h, _ConsoleHandler) for h in logger.handlers):
                    logger.addHandler(_ConsoleHandler())
        return _installed


class _ConsoleHandler(logging.StreamHandler):
    """WARNING+ to stderr, standing in for logging.lastResort once the buffer is attached."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.setLevel(logging.WARNING)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))


def log_buffer() -> RingBufferHandler | None:
    """The installed handler, or None when install_log_buffer was never called in this process."""
    return _installed


def recent_log_lines(limit: int = 100) -> list[LogLine]:
    """The newest `limit` buffered lines, oldest first (empty when no buffer is installed)."""
    return _installed.lines(limit) if _installed is not None else []
