"""One channel delivery through apprise: short timeouts, retry with exponential backoff, scrubbed error text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential, wait_none

from engine.errors import QuantdeskError
from engine.notify.capture import captured_records, error_text, scrub, secrets_registered

SEVERITY_TYPES = {"info": "info", "success": "success", "warning": "warning", "critical": "failure"}
AttemptLog = Callable[[int, str, str], None]  # (attempt number, status ok|failed, error text)


class DeliveryFailed(QuantdeskError):
    """One delivery try failed (the message is scrubbed of secrets): retried, then recorded."""


@dataclass(frozen=True)
class RetryPolicy:
    """`attempts` tries; waits of wait_s, 2·wait_s, … (capped at max_wait_s) between them; timeout_s per try."""

    attempts: int = 3
    wait_s: float = 2.0
    max_wait_s: float = 30.0
    timeout_s: float = 5.0


def send_once(url: str, *, title: str, body: str, severity: str, timeout_s: float, secrets: list[str]) -> None:
    """Send one message through the apprise `url`; DeliveryFailed (secrets masked) when it did not go out."""
    import apprise

    with secrets_registered(secrets), captured_records() as records:
        plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
        if plugin is None:
            raise DeliveryFailed(scrub("the channel settings do not make a valid apprise URL: "
                                       + error_text(records), secrets))
        plugin.socket_connect_timeout = timeout_s
        plugin.socket_read_timeout = timeout_s
        try:
            ok = plugin.notify(body=body or title, title=title, notify_type=SEVERITY_TYPES.get(severity, "info"),
                               body_format=apprise.NotifyFormat.TEXT)
        except Exception as exc:  # noqa: BLE001 - a plugin bug is one failed try, never a crash of the caller
            raise DeliveryFailed(scrub(f"{type(exc).__name__}: {exc}", secrets)) from None
        if not ok:
            raise DeliveryFailed(scrub(error_text(records), secrets))


def deliver_with_retry(send: Callable[[], None], policy: RetryPolicy, log_attempt: AttemptLog) -> tuple[bool, int, str]:
    """Call `send` until it succeeds or `policy.attempts` tries failed, logging every try.

    Returns (delivered, tries made, last error text). Never raises for a failed delivery.
    """
    wait = (wait_exponential(multiplier=policy.wait_s, max=policy.max_wait_s) if policy.wait_s > 0 else wait_none())
    retrying = Retrying(stop=stop_after_attempt(max(1, policy.attempts)), wait=wait,
                        retry=retry_if_exception_type(DeliveryFailed), reraise=True)
    tries, error = 0, ""
    try:
        for attempt in retrying:
            with attempt:
                tries = attempt.retry_state.attempt_number
                try:
                    send()
                except DeliveryFailed as exc:
                    error = str(exc)
                    log_attempt(tries, "failed", error)
                    raise
                log_attempt(tries, "ok", "")
                return True, tries, ""
    except DeliveryFailed:
        pass
    return False, tries, error
