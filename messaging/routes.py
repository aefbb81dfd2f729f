"""An account's routes: configure them, and pick the one a message goes through.

Settings are validated by the adapter's own pydantic `Settings` model, so each
kind states its fields once (the API, the Channels form and admin all use it).
Secret fields are split off, encrypted into one token (`messaging.encryption`)
and never returned: readers get `{"set": true, "last4": "..."}`; an update that
omits a secret keeps the stored one. Every `...Url` setting is checked against
private addresses (`messaging.gateways.http.url_check`).

`route_resolve` picks where an account's next batch on a channel goes: its
default route, or by priority the next one enabled and not demoted by failover;
an account without any route for the channel uses the built-in simulator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from accounts.digits import as_id
from accounts.errors import DomainError, one_or_not_found
from accounts.models import Account
from messaging import ratelimit
from messaging.encryption import secrets_decrypt, secrets_encrypt, secrets_rotate
from messaging.gateways.base import Gateway, GatewayUnavailable, RouteSpec
from messaging.gateways.http import UnsafeURL, url_check
from messaging.gateways.kinds import KINDS
from messaging.gateways.simulator.gateway import BUILTIN_KEY
from messaging.models import ROUTE_KEY_PREFIX, Channel, Route

RATE_LIMIT_FIELD = "rateLimit"
MAX_RATE_LIMIT = 100_000  # messages per second, beyond any route
CALLBACK_PATH = "/api/partner-gateway/v1/callbacks/"
# Shortest secret whose last four characters are shown: of a short one they
# would give too much away.
HINT_MIN_LENGTH = 8


class NoRoute(GatewayUnavailable):
    """The account has routes for the channel, but none is enabled."""


@dataclass(frozen=True)
class RouteChanges:
    """What a create or update asks for; None leaves a field as it is."""

    name: str | None = None
    settings: Mapping[str, Any] | None = None
    is_default: bool | None = None
    priority: int | None = None
    enabled: bool | None = None


def callback_url(key: str) -> str:
    """Where a route's provider sends reports and replies."""
    return settings.MEGAFONO_PUBLIC_URL.rstrip("/") + CALLBACK_PATH + key


def kind_class(kind: str) -> type[Gateway]:
    """The adapter class of `kind`; DomainError naming the known kinds if none."""
    try:
        return KINDS[kind]
    except KeyError:
        raise DomainError(
            {
                "kind": _("Unknown kind %(kind)s; one of: %(kinds)s")
                % {"kind": kind, "kinds": ", ".join(sorted(KINDS))}
            }
        ) from None


def settings_model(kind: str) -> type[BaseModel]:
    return kind_class(kind).Settings  # type: ignore[attr-defined]


def _is_url_field(name: str) -> bool:
    return name == "url" or name.endswith("Url")


def _validated(
    cls: type[Gateway], values: Mapping[str, Any], stored: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, str], float]:
    """(plain settings, secrets, rate limit) from what the user sent.

    A secret left out (or empty) keeps its stored value; the rest of the settings
    are replaced as a whole, so a removed field returns to its default.
    """
    values = dict(values)
    rate = values.pop(RATE_LIMIT_FIELD, 0) or 0
    try:
        rate = float(rate)
    except (TypeError, ValueError, OverflowError):
        rate = -1.0
    # NaN fails both comparisons; infinity and beyond-any-route rates are refused
    # here, since the shared bucket holds whole tokens.
    if not 0 <= rate <= MAX_RATE_LIMIT:
        raise DomainError(
            {
                f"settings.{RATE_LIMIT_FIELD}": _(
                    "A number of messages per second, from 0 (no limit) to %(max)s."
                )
                % {"max": MAX_RATE_LIMIT}
            }
        )
    for name in cls.secret_fields:
        if values.get(name) in (None, "") and stored.get(name):
            values[name] = stored[name]
    try:
        model = cls.Settings(**values)  # type: ignore[attr-defined]
    except PydanticValidationError as exc:
        raise DomainError(
            {
                ".".join(["settings", *map(str, error["loc"])]): error["msg"]
                for error in exc.errors()
            }
        ) from None
    dumped = model.model_dump(mode="json", exclude_unset=True)
    secrets = {
        name: str(dumped.pop(name))
        for name in cls.secret_fields
        if dumped.get(name) not in (None, "")
    }
    dumped = {k: v for k, v in dumped.items() if k not in cls.secret_fields}
    for name, value in dumped.items():
        if _is_url_field(name) and isinstance(value, str):
            try:
                url_check(value)
            except UnsafeURL as exc:
                raise DomainError({f"settings.{name}": str(exc)}) from None
    return dumped, secrets, rate


def _hint(value: str) -> str:
    return value[-4:] if len(value) >= HINT_MIN_LENGTH else ""


def _store_settings(route: Route, values: Mapping[str, Any]) -> None:
    stored = secrets_decrypt(route.secrets_token) if route.pk else {}
    plain, secrets, rate = _validated(kind_class(route.kind), values, stored)
    route.settings = plain
    route.secrets_token = secrets_encrypt(secrets)
    route.secret_hints = {name: _hint(value) for name, value in secrets.items()}
    route.rate_limit = rate


def _apply(route: Route, changes: RouteChanges) -> None:
    if changes.name is not None:
        if not changes.name.strip():
            raise DomainError({"name": _("Give the route a name.")})
        route.name = changes.name.strip()[:100]
    if changes.priority is not None:
        if not 0 <= changes.priority <= 1000:
            raise DomainError({"priority": _("A number from 0 to 1000.")})
        route.priority = changes.priority
    if changes.enabled is not None:
        route.enabled = changes.enabled
    if changes.settings is not None:
        _store_settings(route, changes.settings)


def _save(route: Route, *, make_default: bool) -> Route:
    """Save, taking the channel's default over from another route if asked."""
    try:
        with transaction.atomic():
            if make_default:
                Route.objects.filter(
                    account_id=route.account_id,
                    channel=route.channel,
                    is_default=True,
                ).exclude(pk=route.pk).update(is_default=False)
                route.is_default = True
            route.save()
    except IntegrityError as exc:  # two requests made a default at once
        raise DomainError(
            {"default": _("Another route just became the default; try again.")},
            status_code=409,
        ) from exc
    return route


def route_create(*, account: Account, kind: str, channel: str, changes: RouteChanges):
    """A new route of the account; the first of its channel becomes the default."""
    cls = kind_class(kind)
    if channel not in Channel.values:
        raise DomainError(
            {"channel": _("One of: %(channels)s") % {"channels": ", ".join(Channel)}}
        )
    if channel not in cls.channels:
        raise DomainError(
            {
                "channel": _("A %(kind)s route carries %(channels)s only.")
                % {"kind": kind, "channels": ", ".join(cls.channels)}
            }
        )
    route = Route(account=account, kind=kind, channel=channel)
    _apply(route, replace(changes, settings=changes.settings or {}))
    first = not Route.objects.filter(account=account, channel=channel).exists()
    return _save(route, make_default=bool(changes.is_default) or first)


def route_get(*, account: Account, pk: int) -> Route:
    return one_or_not_found(Route.objects.filter(account=account), pk=pk)


def routes_list(*, account: Account) -> list[Route]:
    return list(Route.objects.filter(account=account))


def route_update(*, account: Account, pk: int, changes: RouteChanges) -> Route:
    """Change a route; omitted fields and omitted secrets stay as they are."""
    route = route_get(account=account, pk=pk)
    _apply(route, changes)
    if changes.is_default is False and route.is_default:
        route.is_default = False
    return _save(route, make_default=bool(changes.is_default))


def route_set_default(*, account: Account, pk: int) -> Route:
    return _save(route_get(account=account, pk=pk), make_default=True)


def route_delete(*, account: Account, pk: int) -> None:
    """Delete a route (callers check first that no active campaign uses it)."""
    route_get(account=account, pk=pk).delete()


def route_settings_public(route: Route) -> dict[str, Any]:
    """The settings as shown back: defaults filled in, secrets as set/last-4 only."""
    cls = kind_class(route.kind)
    values: dict[str, Any] = {}
    for name, field in cls.Settings.model_fields.items():  # type: ignore[attr-defined]
        if name in cls.secret_fields:
            hint = route.secret_hints.get(name)
            values[name] = {"set": hint is not None, "last4": hint or ""}
        elif name in route.settings:
            values[name] = route.settings[name]
        elif not field.is_required():
            values[name] = field.get_default(call_default_factory=True)
    values[RATE_LIMIT_FIELD] = route.rate_limit
    return values


def is_demoted(route: Route, now=None) -> bool:
    now = now or timezone.now()
    return route.demoted_until is not None and route.demoted_until > now


def _spec(route: Route) -> RouteSpec:
    return RouteSpec(
        key=route.key,
        kind=route.kind,
        channel=route.channel,
        settings={**route.settings, **secrets_decrypt(route.secrets_token)},
        callback_url=callback_url(route.key),
    )


def builtin_spec(channel: str = Channel.SMS) -> RouteSpec:
    """The built-in simulator, for accounts without a route of their own."""
    return RouteSpec(
        key=BUILTIN_KEY,
        kind="simulator",
        channel=channel,
        settings={},
        callback_url=callback_url(BUILTIN_KEY),
    )


def route_resolve(*, account_id: int, channel: str) -> RouteSpec:
    """The route the account's next batch on `channel` goes through.

    The default route if it is enabled and not demoted, else the next such one by
    priority. When every enabled route is demoted, the one whose cool-down ends
    first is tried rather than none. No route at all: the built-in simulator;
    routes but none enabled: `NoRoute` (the batch waits, it is not sent through
    a route the account turned off).
    """
    routes = list(Route.objects.filter(account_id=account_id, channel=channel))
    if not routes:
        return builtin_spec(channel)
    enabled = sorted(
        (r for r in routes if r.enabled),
        key=lambda r: (not r.is_default, r.priority, r.pk),
    )
    if not enabled:
        raise NoRoute(f"no enabled {channel} route")
    now = timezone.now()
    healthy = [r for r in enabled if not is_demoted(r, now)]
    chosen = healthy[0] if healthy else min(enabled, key=lambda r: r.demoted_until)
    return _spec(chosen)


def route_pk(key: str) -> int | None:
    """The primary key in a route key `r<pk>`; None for the built-in or a bad key."""
    digits = key[len(ROUTE_KEY_PREFIX) :]
    return as_id(digits) if key.startswith(ROUTE_KEY_PREFIX) else None


def route_by_key(key: str) -> Route | None:
    pk = route_pk(key)
    return Route.objects.filter(pk=pk).first() if pk is not None else None


def route_spec(key: str) -> RouteSpec:
    """The spec of the route named `key` (decrypted settings); KeyError if none."""
    if key == BUILTIN_KEY:
        return builtin_spec()
    route = route_by_key(key)
    if route is None:
        raise KeyError(key)
    return _spec(route)


def route_long_lived(route: RouteSpec | str) -> bool:
    """Whether the route's own long-lived process sends its messages (an SMPP
    bind, `long_lived = True` on its class): batch dispatch must not claim them."""
    if isinstance(route, str):
        if route == BUILTIN_KEY or route_pk(route) is None:
            return False
        kind = Route.objects.filter(pk=route_pk(route)).values_list("kind", flat=True)
        return getattr(KINDS.get(kind.first() or ""), "long_lived", False)
    return getattr(KINDS.get(route.kind), "long_lived", False)


def route_keys(*, kind: str) -> list[str]:
    """Keys of the enabled routes of `kind`, oldest first (one SMPP bind each)."""
    rows = Route.objects.filter(kind=kind, enabled=True).order_by("pk")
    return [f"{ROUTE_KEY_PREFIX}{pk}" for pk in rows.values_list("pk", flat=True)]


def route_rate(key: str) -> float:
    """SMS parts per second for the route: its `rateLimit`, else the settings'."""
    route = route_by_key(key)
    if route is not None and route.rate_limit > 0:
        return route.rate_limit
    return ratelimit.gateway_rate(key)


def route_account_id(key: str) -> int | None:
    """The account owning a route key (None for the built-in simulator)."""
    pk = route_pk(key)
    if pk is None:
        return None
    return Route.objects.filter(pk=pk).values_list("account_id", flat=True).first()


def routes_secrets_rotate() -> int:
    """Re-encrypt every route's secrets with the newest key; routes changed.

    Each row is re-read locked and written in its own short transaction, so a
    route edited meanwhile keeps its new secrets.
    """
    count = 0
    pks = Route.objects.exclude(secrets_token="").values_list("pk", flat=True)
    for pk in list(pks):
        with transaction.atomic():
            route = Route.objects.select_for_update().filter(pk=pk).first()
            if route is None or not route.secrets_token:
                continue
            Route.objects.filter(pk=pk).update(
                secrets_token=secrets_rotate(route.secrets_token)
            )
            count += 1
    return count
