"""Route secrets at rest: Fernet tokens (AES-128-CBC + HMAC), keys rotatable.

The keys come from `settings.MEGAFONO_ENCRYPTION_KEYS` (newest first). MultiFernet
encrypts with the first and decrypts with any, so a new key goes in front, then
`manage.py route_secrets_rotate` re-encrypts every stored token with it, and the
old key can be dropped. Only whole JSON objects of secrets are encrypted; the
database never holds a secret in clear.
"""

from __future__ import annotations

import json
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "MEGAFONO_ENCRYPTION_KEY must be comma-separated Fernet keys "
            "(32 bytes in URL-safe base64, e.g. Fernet.generate_key())"
        ) from exc


def _current() -> MultiFernet:
    return _fernet(tuple(settings.MEGAFONO_ENCRYPTION_KEYS))


def secrets_encrypt(values: dict[str, str]) -> str:
    """A token holding `values`; an empty dict is stored as an empty string."""
    if not values:
        return ""
    return _current().encrypt(json.dumps(values).encode()).decode()


def secrets_decrypt(token: str) -> dict[str, str]:
    """The values `secrets_encrypt` stored; ImproperlyConfigured if no key opens it.

    A token no key opens means the key it was made with was removed: a
    configuration error, not something a caller can recover from.
    """
    if not token:
        return {}
    try:
        return json.loads(_current().decrypt(token.encode()))
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "a route secret cannot be decrypted with MEGAFONO_ENCRYPTION_KEY"
        ) from exc


def secrets_rotate(token: str) -> str:
    """The same secrets encrypted with the newest key."""
    return _current().rotate(token.encode()).decode() if token else ""
