"""API key services: create (the secret is shown once), authenticate, revoke."""

from __future__ import annotations

import hashlib
import secrets
from contextvars import ContextVar
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from accounts.models import Account, ApiKey

KEY_PREFIX = "mgf_"
# Writing last_used on every request would turn each API read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# The key that authenticated the request being served, for the ledger: credit
# moves deep inside campaign services, which know a user (`actor`) but not how
# the request came in. Set by the API's authentication, cleared after every
# request by `CurrentAccountMiddleware`, never set in workers.
acting_api_key: ContextVar[ApiKey | None] = ContextVar("acting_api_key", default=None)


def _hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def apikey_create(
    *, account: Account, name: str, created_by=None
) -> tuple[ApiKey, str]:
    """Create a key and return it with its secret, which is never stored or shown again."""
    prefix = KEY_PREFIX + secrets.token_hex(4)
    raw_key = f"{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        account=account,
        name=name,
        prefix=prefix,
        key_hash=_hash(raw_key),
        created_by=created_by,
    )
    return key, raw_key


def apikey_authenticate(raw_key: str | None) -> ApiKey | None:
    """Return the active key matching `raw_key`, noting its use; None for anything else."""
    if not raw_key or not raw_key.startswith(KEY_PREFIX) or len(raw_key) > 200:
        return None
    key = (
        ApiKey.objects.select_related("account")
        .filter(key_hash=_hash(raw_key), revoked_at__isnull=True)
        .first()
    )
    if key is None:
        return None
    now = timezone.now()
    stale = now - LAST_USED_RESOLUTION
    if key.last_used_at is None or key.last_used_at < stale:
        # Not one write per request: a client polling stats would make every
        # read a write. The condition again in SQL, for two requests at once.
        ApiKey.objects.filter(pk=key.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale)
        ).update(last_used_at=now)
    return key


def apikey_revoke(*, account: Account, pk: int) -> bool:
    """Revoke one of the account's keys; False if it was not found or already revoked."""
    return bool(
        ApiKey.objects.filter(account=account, pk=pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    )
