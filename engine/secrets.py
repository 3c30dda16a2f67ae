"""Secrets at rest: Fernet encryption of notification-channel secrets with the configured (or a generated) key."""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from sqlalchemy.engine import make_url

from engine.config import ROOT, Settings, get_settings
from engine.errors import ConfigError

log = logging.getLogger(__name__)
KEY_FILE_NAME = "secret.key"
_KDF_SALT = b"quantdesk/channel-secrets/v1"  # fixed: the same passphrase must give the same key everywhere
_KDF_ITERATIONS = 390_000
_lock = threading.Lock()
_process_key: str = ""  # set by the app from .streamlit/secrets.toml (see use_key)


class SecretKeyError(ConfigError):
    """The stored secrets cannot be decrypted (the key changed) or no key can be set up: fix the configuration."""


@dataclass(frozen=True)
class KeySource:
    """Where the encryption key came from: "settings", "streamlit secrets" or "key file" (with its path)."""

    kind: str
    path: Path | None = None
    generated: bool = False  # the key file was created by this call

    def describe(self) -> str:
        if self.kind == "settings":
            return "the key from QUANTDESK_SECRET_KEY (or secret_key in the config file)"
        if self.kind == "streamlit secrets":
            return "the key from .streamlit/secrets.toml"
        made = "generated now" if self.generated else "generated because no secret key is configured"
        return f"the key file {self.path} ({made}; keep it — without it the stored secrets cannot be read)"


def use_key(key: str | None) -> None:
    """Use `key` (e.g. QUANTDESK_SECRET_KEY from Streamlit's secrets file) process-wide when settings have none."""
    global _process_key
    _process_key = (key or "").strip()


def generate_key() -> str:
    """A fresh random Fernet key (URL-safe base64 text)."""
    return Fernet.generate_key().decode("ascii")


def key_file_path(settings: Settings) -> Path:
    """settings.secret_key_file, else secret.key beside the SQLite database, else data/secret.key."""
    if settings.secret_key_file is not None:
        path = Path(settings.secret_key_file)
        return path if path.is_absolute() else ROOT / path
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent / KEY_FILE_NAME
    return ROOT / "data" / KEY_FILE_NAME


def _read_or_create_key_file(path: Path) -> tuple[str, bool]:
    with _lock:
        if path.exists():
            return path.read_text(encoding="ascii").strip(), False
        path.parent.mkdir(parents=True, exist_ok=True)
        key = generate_key()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            return path.read_text(encoding="ascii").strip(), False
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(key + "\n")
        os.chmod(path, 0o600)
    log.warning("no secret key configured: generated one into %s (mode 0600); keep it, or set "
                "QUANTDESK_SECRET_KEY, or the stored channel secrets cannot be decrypted", path)
    return key, True


def resolve_key(settings: Settings | None = None) -> tuple[str, KeySource]:
    """The key text and where it came from; generates the key file when nothing is configured.

    Raises SecretKeyError when the key file cannot be read or written.
    """
    cfg = settings or get_settings()
    if cfg.secret_key.strip():
        return cfg.secret_key.strip(), KeySource("settings")
    if _process_key:
        return _process_key, KeySource("streamlit secrets")
    path = key_file_path(cfg)
    try:
        key, generated = _read_or_create_key_file(path)
    except OSError as exc:
        raise SecretKeyError(f"cannot use the secret key file {path} ({exc.strerror or exc}); "
                             "set QUANTDESK_SECRET_KEY or make the data folder writable") from None
    if not key:
        raise SecretKeyError(f"the secret key file {path} is empty; restore it or set QUANTDESK_SECRET_KEY")
    return key, KeySource("key file", path, generated)


@lru_cache(maxsize=8)
def _fernet_for(key: str) -> Fernet:
    """A Fernet key is used as is; any other text is stretched into one with PBKDF2-SHA256."""
    try:
        return Fernet(key.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=_KDF_SALT, iterations=_KDF_ITERATIONS)
        return Fernet(base64.urlsafe_b64encode(kdf.derive(key.encode("utf-8"))))


def encrypt_secrets(values: dict[str, str], settings: Settings | None = None) -> str:
    """Encrypt the non-empty `values` as one Fernet token ("" when there is nothing to keep)."""
    kept = {k: v for k, v in values.items() if v}
    if not kept:
        return ""
    key, _ = resolve_key(settings)
    return _fernet_for(key).encrypt(json.dumps(kept, sort_keys=True).encode("utf-8")).decode("ascii")


def decrypt_secrets(token: str, settings: Settings | None = None) -> dict[str, str]:
    """The secrets stored in `token` ({} for ""); SecretKeyError when the key is not the one that encrypted them."""
    if not token:
        return {}
    key, _ = resolve_key(settings)
    try:
        plain = _fernet_for(key).decrypt(token.encode("ascii"))
    except (InvalidToken, ValueError, UnicodeEncodeError):
        raise SecretKeyError("cannot decrypt channel secrets: the secret key changed — restore the previous key "
                             "(QUANTDESK_SECRET_KEY or the key file) or enter the channel secrets again") from None
    data = json.loads(plain.decode("utf-8"))
    return {str(k): str(v) for k, v in data.items()}
