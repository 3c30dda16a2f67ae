"""Notifications: the in-app centre plus email, Telegram, webhook, Slack, Discord, ntfy or any apprise URL.

`notify(db_engine, title=…, body=…, channels=[…])` stores an in-app notification and delivers it through the
named channels, each independently (retried with backoff, rate-limited, every try logged); a failing channel
never raises. Channel secrets are encrypted at rest (engine.secrets) and never shown again.
"""

from engine.notify.delivery import DeliveryFailed, RetryPolicy
from engine.notify.kinds import KINDS, ChannelConfigError, FieldSpec, KindSpec, validate_channel
from engine.notify.service import (
    DEFAULT_RATE_LIMIT,
    IN_APP,
    ChannelView,
    DeliveryResult,
    add_channel,
    channel_names,
    delete_channel,
    deliver,
    list_channels,
    mark_all_read,
    mark_read,
    notify,
    recent_notifications,
    retry_policy,
    send_test,
    unread_count,
    update_channel,
    wait_for_deliveries,
)

__all__ = [
    "DEFAULT_RATE_LIMIT", "IN_APP", "KINDS", "ChannelConfigError", "ChannelView", "DeliveryFailed", "DeliveryResult",
    "FieldSpec", "KindSpec", "RetryPolicy", "add_channel", "channel_names", "delete_channel", "deliver",
    "list_channels", "mark_all_read", "mark_read", "notify", "recent_notifications", "retry_policy", "send_test",
    "unread_count", "update_channel", "validate_channel", "wait_for_deliveries",
]
