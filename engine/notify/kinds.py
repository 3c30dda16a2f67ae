"""Channel kinds: their fields (secret or not), validation with fix-it messages, and the apprise URL they make."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from engine.errors import ConfigError

EMAIL_RE = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[A-Za-z0-9-]{2,}$")
HOST_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$|^\[[0-9A-Fa-f:]+\]$")
TELEGRAM_TOKEN_RE = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{10,}$")
TELEGRAM_CHAT_RE = re.compile(r"^-?\d+$|^@[A-Za-z][A-Za-z0-9_]{3,}$")
NTFY_TOPIC_RE = re.compile(r"^[-_A-Za-z0-9]{1,64}$")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$")
SMTP_SECURITY = {"starttls": "STARTTLS (port 587)", "ssl": "SSL/TLS (port 465)", "none": "None (plain, e.g. a local relay)"}


class ChannelConfigError(ConfigError):
    """A channel's settings are incomplete or malformed: the message says which field and how to fix it."""


@dataclass(frozen=True)
class FieldSpec:
    """One input of a channel kind; `secret` fields are encrypted at rest and never shown again."""

    name: str
    label: str
    secret: bool = False
    required: bool = True
    default: str = ""
    help: str = ""
    choices: dict[str, str] | None = None  # value -> label, for a select box


@dataclass(frozen=True)
class KindSpec:
    kind: str
    title: str
    fields: tuple[FieldSpec, ...]

    @property
    def secret_fields(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.secret)

    @property
    def config_fields(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if not f.secret)


KINDS: dict[str, KindSpec] = {k.kind: k for k in (
    KindSpec("email", "Email (SMTP)", (
        FieldSpec("smtp_host", "SMTP server", help="e.g. smtp.gmail.com, or 127.0.0.1 for a local relay"),
        FieldSpec("smtp_port", "Port", default="587"),
        FieldSpec("security", "Security", default="starttls", choices=SMTP_SECURITY),
        FieldSpec("username", "User name", required=False, help="Leave empty if the server needs no login."),
        FieldSpec("password", "Password", secret=True, required=False, help="An app password for Gmail/Outlook."),
        FieldSpec("from_addr", "From", help="The sender address, e.g. alerts@example.com"),
        FieldSpec("to", "To", help="One or more addresses, separated by commas."),
    )),
    KindSpec("telegram", "Telegram", (
        FieldSpec("bot_token", "Bot token", secret=True, help="From @BotFather, e.g. 123456789:AAE…"),
        FieldSpec("chat_id", "Chat id", help="A number (e.g. -1001234567890) or @channelname"),
    )),
    KindSpec("webhook", "Webhook (JSON POST)", (
        FieldSpec("url", "URL", help="http(s)://host[:port]/path — receives {title, message, type} as JSON"),
        FieldSpec("token", "Bearer token", secret=True, required=False,
                  help="Sent as 'Authorization: Bearer …'. Leave empty if the endpoint needs none."),
    )),
    KindSpec("slack", "Slack", (
        FieldSpec("webhook_url", "Incoming webhook URL", secret=True,
                  help="https://hooks.slack.com/services/T…/B…/…"),
    )),
    KindSpec("discord", "Discord", (
        FieldSpec("webhook_url", "Webhook URL", secret=True, help="https://discord.com/api/webhooks/<id>/<token>"),
    )),
    KindSpec("ntfy", "ntfy", (
        FieldSpec("server", "Server", default="https://ntfy.sh"),
        FieldSpec("topic", "Topic", help="Letters, digits, - and _ (up to 64)."),
        FieldSpec("token", "Access token", secret=True, required=False, help="For a protected topic (tk_…)."),
    )),
    KindSpec("apprise_url", "Any apprise URL", (
        FieldSpec("url", "Apprise URL", secret=True, help="Any service apprise supports, e.g. pover://user@token"),
    )),
)}


def kind_spec(kind: str) -> KindSpec:
    try:
        return KINDS[kind]
    except KeyError:
        raise ChannelConfigError(f"unknown channel kind {kind!r}; choose one of {', '.join(KINDS)}") from None


def validate_name(name: str) -> str:
    name = (name or "").strip()
    if not NAME_RE.match(name) or name.lower() == "in-app":
        raise ChannelConfigError("give the channel a name of 1–64 letters, digits, spaces, '.', '-' or '_' "
                                 "(not 'in-app'), e.g. 'my phone'")
    return name


def _email_list(text: str) -> list[str]:
    return [a for a in re.split(r"[,;\s]+", text or "") if a]


def _http_url(url: str, what: str) -> tuple[str, str]:
    """(scheme, rest) of an http(s) URL without credentials; ChannelConfigError otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or not HOST_RE.match(parts.hostname):
        raise ChannelConfigError(f"enter the {what} as http(s)://host[:port]/path, e.g. https://example.com/hook")
    if parts.username or parts.password:
        raise ChannelConfigError(f"remove the user:password from the {what}; use the token field instead")
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ChannelConfigError(f"the port in the {what} must be a number from 1 to 65535") from None
    return parts.scheme, url


def _check_email(cfg: dict[str, Any], sec: dict[str, str]) -> None:
    if not HOST_RE.match(cfg["smtp_host"]):
        raise ChannelConfigError("enter the SMTP server as a host name or IP address, e.g. smtp.gmail.com")
    try:
        port = int(str(cfg["smtp_port"]).strip())
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise ChannelConfigError("the SMTP port must be a number from 1 to 65535 (587 for STARTTLS, 465 for SSL)")
    cfg["smtp_port"] = port
    if cfg["security"] not in SMTP_SECURITY:
        raise ChannelConfigError("choose the SMTP security: starttls, ssl or none")
    if not EMAIL_RE.match(cfg["from_addr"]):
        raise ChannelConfigError(f"the From address {cfg['from_addr']!r} is not a valid email address")
    recipients = _email_list(cfg["to"])
    bad = [a for a in recipients if not EMAIL_RE.match(a)]
    if bad or not recipients:
        raise ChannelConfigError(f"the To address {bad[0]!r} is not a valid email address" if bad
                                 else "enter at least one To address")
    cfg["to"] = ", ".join(recipients)
    if cfg.get("username") and not sec.get("password"):
        raise ChannelConfigError("enter the SMTP password for that user name (or clear the user name)")
    if sec.get("password") and not cfg.get("username"):
        raise ChannelConfigError("enter the SMTP user name that goes with the password")


def _check_kind(kind: str, cfg: dict[str, Any], sec: dict[str, str]) -> None:
    if kind == "email":
        _check_email(cfg, sec)
    elif kind == "telegram":
        if not TELEGRAM_TOKEN_RE.match(sec["bot_token"]):
            raise ChannelConfigError("the Telegram bot token looks like 123456789:AAE… — copy it from @BotFather")
        if not TELEGRAM_CHAT_RE.match(cfg["chat_id"]):
            raise ChannelConfigError("the Telegram chat id is a number (e.g. -1001234567890) or @channelname")
    elif kind == "webhook":
        _http_url(cfg["url"], "webhook URL")
    elif kind == "slack":
        if not re.match(r"^https://hooks\.slack\.com/services/[^/\s]+/[^/\s]+/[^/\s]+/?$", sec["webhook_url"]):
            raise ChannelConfigError("the Slack webhook URL starts with https://hooks.slack.com/services/")
    elif kind == "discord":
        if not re.match(r"^https://(ptb\.|canary\.)?discord(app)?\.com/api/webhooks/\d+/[^/\s]+/?$",
                        sec["webhook_url"]):
            raise ChannelConfigError("the Discord webhook URL looks like https://discord.com/api/webhooks/<id>/<token>")
    elif kind == "ntfy":
        _http_url(cfg["server"], "ntfy server")
        if not NTFY_TOPIC_RE.match(cfg["topic"]):
            raise ChannelConfigError("the ntfy topic may hold only letters, digits, '-' and '_' (up to 64)")
    elif kind == "apprise_url":
        _check_apprise_url(sec["url"])


def _check_apprise_url(url: str) -> None:
    import apprise

    if "://" not in url:
        raise ChannelConfigError("an apprise URL looks like service://… (see the apprise documentation)")
    if apprise.Apprise.instantiate(url, suppress_exceptions=True) is None:
        raise ChannelConfigError("apprise does not recognise that URL; check the service prefix and its fields")


def validate_channel(kind: str, config: dict[str, Any], secrets: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Cleaned (config, secrets) for `kind`; ChannelConfigError with a one-sentence fix otherwise.

    `secrets` must hold the secrets the channel will have (new ones, or the stored ones being kept).
    """
    spec = kind_spec(kind)
    cfg: dict[str, Any] = {}
    sec: dict[str, str] = {}
    for f in spec.fields:
        value = str((secrets if f.secret else config).get(f.name) or "").strip() or (f.default if not f.secret else "")
        if f.required and not value:
            raise ChannelConfigError(f"enter the {f.label.lower()} ({spec.title})")
        (sec if f.secret else cfg)[f.name] = value
    _check_kind(kind, cfg, sec)
    return cfg, {k: v for k, v in sec.items() if v}


def build_url(kind: str, config: dict[str, Any], secrets: dict[str, str]) -> str:
    """The apprise URL for a validated channel (it holds secrets: never log or show it)."""
    if kind == "email":
        return _email_url(config, secrets)
    if kind == "telegram":
        return f"tgram://{secrets['bot_token']}/{config['chat_id']}"
    if kind == "webhook":
        return _json_url(config["url"], secrets.get("token", ""))
    if kind in ("slack", "discord"):
        return secrets["webhook_url"]  # apprise understands the services' own webhook URLs
    if kind == "ntfy":
        parts = urlsplit(config["server"])
        scheme = "ntfys" if parts.scheme == "https" else "ntfy"
        query = f"?{urlencode({'token': secrets['token']}, quote_via=quote)}" if secrets.get("token") else ""
        return f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}/{config['topic']}{query}"
    if kind == "apprise_url":
        return secrets["url"]
    raise ChannelConfigError(f"unknown channel kind {kind!r}")


def _email_url(config: dict[str, Any], secrets: dict[str, str]) -> str:
    secure = config["security"] in ("starttls", "ssl")
    login = ""
    if config.get("username"):
        login = quote(config["username"], safe="")
        if secrets.get("password"):
            login += ":" + quote(secrets["password"], safe="")
        login += "@"
    params = {"smtp": config["smtp_host"], "from": config["from_addr"], "to": ",".join(_email_list(config["to"])),
              "mode": config["security"] if secure else "insecure"}
    return f"{'mailtos' if secure else 'mailto'}://{login}{config['smtp_host']}:{config['smtp_port']}?{urlencode(params, quote_via=quote)}"


def _json_url(url: str, token: str) -> str:
    parts = urlsplit(url)
    scheme = "jsons" if parts.scheme == "https" else "json"
    params = [(f"-{k}", v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]  # the endpoint's own query
    if token:
        params.append(("+Authorization", f"Bearer {token}"))
    query = f"?{urlencode(params, quote_via=quote)}" if params else ""
    return f"{scheme}://{parts.netloc}{parts.path or '/'}{query}"


def describe(kind: str, config: dict[str, Any]) -> str:
    """A one-line summary of a channel's non-secret settings, for lists."""
    if kind == "email":
        return f"{config.get('from_addr', '')} → {config.get('to', '')} via {config.get('smtp_host', '')}:" \
               f"{config.get('smtp_port', '')} ({config.get('security', '')})"
    if kind == "telegram":
        return f"chat {config.get('chat_id', '')}"
    if kind == "webhook":
        return f"POST {config.get('url', '')}"
    if kind == "ntfy":
        return f"{config.get('server', '')}/{config.get('topic', '')}"
    return KINDS[kind].title if kind in KINDS else kind
