"""Apprise's log as delivery error text: capture one thread's records, and scrub channel secrets from every record.

Apprise reports why a delivery failed only through its logger (the reason itself at DEBUG level, and at TRACE
it even dumps parsed URLs with passwords). A filter on its logger (and urllib3's, which logs request paths
holding e.g. a Telegram bot token) replaces every registered secret with "•••" before any handler sees the
record, hands the records of a capturing thread to that capture, and lets through to the rest of the logging
tree only what the logger would have emitted anyway.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from urllib.parse import quote

MASK = "•••"
SCRUBBED_LOGGERS = ("apprise", "urllib3.connectionpool")
_lock = threading.Lock()
_secrets: Counter[str] = Counter()
_captures: dict[int, list[logging.LogRecord]] = {}
_installed = False


def _variants(secret: str) -> set[str]:
    """The secret as typed and as it may appear inside a URL."""
    return {v for v in (secret, quote(secret, safe=""), quote(secret)) if v}


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with each of `secrets` (and every registered secret) masked, longest first."""
    with _lock:
        known = set(_secrets) | {v for s in secrets if s for v in _variants(s)}
    for secret in sorted(known, key=len, reverse=True):
        if len(secret) >= 3:  # masking 1-2 characters would shred normal words, and such secrets are no secret
            text = text.replace(secret, MASK)
    return text


class _Tap(logging.Filter):
    """Scrub, capture for the current thread, and pass on only what the logger would emit without us."""

    def __init__(self, logger: logging.Logger, own_level: int) -> None:
        super().__init__()
        self.logger = logger
        self.own_level = own_level  # the level set on the logger before we lowered it (0 = inherited)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is dropped rather than leaked
            return False
        record.msg, record.args = scrub(message), None
        captured = _captures.get(threading.get_ident())
        if captured is not None and record.levelno >= logging.DEBUG:
            captured.append(record)
        threshold = self.own_level or (self.logger.parent.getEffectiveLevel() if self.logger.parent else 0)
        return record.levelno >= threshold


def install() -> None:
    """Put the tap on apprise's and urllib3's loggers (once per process)."""
    global _installed
    with _lock:
        if _installed:
            return
        for name in SCRUBBED_LOGGERS:
            logger = logging.getLogger(name)
            logger.addFilter(_Tap(logger, logger.level))
        # apprise must create its DEBUG records for the capture to see the reasons; the tap drops them again
        logging.getLogger("apprise").setLevel(logging.DEBUG)
        _installed = True


@contextmanager
def secrets_registered(secrets: Iterable[str]) -> Iterator[None]:
    """Mask these secrets in every scrubbed log record while the block runs."""
    added = [v for s in secrets if s and len(s) >= 3 for v in _variants(s)]
    with _lock:
        _secrets.update(added)
    try:
        yield
    finally:
        with _lock:
            _secrets.subtract(added)
            for key in [k for k, n in _secrets.items() if n <= 0]:
                del _secrets[key]


@contextmanager
def captured_records() -> Iterator[list[logging.LogRecord]]:
    """The scrubbed apprise/urllib3 records logged by this thread while the block runs."""
    install()
    records: list[logging.LogRecord] = []
    ident = threading.get_ident()
    _captures[ident] = records
    try:
        yield records
    finally:
        _captures.pop(ident, None)


def error_text(records: list[logging.LogRecord], limit: int = 500) -> str:
    """Why a delivery failed, from its captured records: warnings first, then exception details."""
    warnings = [r.getMessage() for r in records if r.levelno >= logging.WARNING]
    details = [r.getMessage() for r in records if r.levelno < logging.WARNING
               and any(w in r.getMessage() for w in ("Exception", "Response", "error", "Error"))]
    parts = list(dict.fromkeys(warnings + details))  # unique, in order
    text = " — ".join(p.strip() for p in parts if p.strip())
    return text[:limit] if text else "the channel reported a failure without a reason"
