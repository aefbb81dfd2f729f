"""Routes: secrets encrypted at rest and never shown, URLs checked, resolution."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.db import connection
from django.utils import timezone

from accounts.errors import DomainError
from messaging.models import Route
from messaging.routes import (
    NoRoute,
    RouteChanges,
    route_create,
    route_resolve,
    route_settings_public,
    route_spec,
    route_update,
)

SECRET = "s3cret-signing-key-4711"


def make(account, name="Main", **changes):
    values = {"name": name, "settings": {}, **changes}
    return route_create(
        account=account,
        kind=values.pop("kind", "simulator"),
        channel=values.pop("channel", "SMS"),
        changes=RouteChanges(**values),
    )


def test_secret_is_encrypted_in_the_database_and_decrypted_for_the_adapter(account):
    route = make(account, settings={"signingSecret": SECRET, "deliveredRate": 0.5})
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT settings::text, secrets_token, secret_hints::text"
            " FROM messaging_route WHERE id = %s",
            [route.pk],
        )
        row = cursor.fetchone()
    assert all(SECRET not in column for column in row)
    assert route_spec(route.key).settings == {
        "deliveredRate": 0.5,
        "signingSecret": SECRET,
    }


def test_secret_is_shown_as_set_with_its_last_four_only(account):
    route = make(account, settings={"signingSecret": SECRET})
    public = route_settings_public(route)
    assert public["signingSecret"] == {"set": True, "last4": "4711"}
    assert SECRET not in str(public)


def test_an_update_without_the_secret_keeps_it(account):
    route = make(account, settings={"signingSecret": SECRET})
    route_update(
        account=account, pk=route.pk, changes=RouteChanges(settings={"rejectRate": 1})
    )
    assert route_spec(route.key).settings["signingSecret"] == SECRET
    assert route_spec(route.key).settings["rejectRate"] == 1


def test_bad_settings_name_their_field(account):
    with pytest.raises(DomainError) as error:
        make(account, settings={"deliveredRate": 3, "colour": "red"})
    assert set(error.value.data) == {"settings.deliveredRate", "settings.colour"}


def test_unknown_kind_and_channel_are_refused(account):
    with pytest.raises(DomainError, match="kind"):
        make(account, kind="carrier-pigeon")
    with pytest.raises(DomainError, match="channel"):
        make(account, channel="FAX")


def test_no_route_means_the_builtin_simulator(account):
    assert route_resolve(account_id=account.pk, channel="SMS").key == "simulator"


def test_the_first_route_is_the_default_and_one_default_per_channel(account):
    first = make(account, "First")
    second = make(account, "Second", is_default=True)
    first.refresh_from_db()
    assert not first.is_default
    assert second.is_default
    assert route_resolve(account_id=account.pk, channel="SMS").key == second.key
    assert Route.objects.filter(account=account, is_default=True).count() == 1


def test_a_demoted_default_gives_way_to_the_next_by_priority(account):
    default = make(account, "Default", priority=1)
    make(account, "Backup far", priority=50)
    near = make(account, "Backup near", priority=5)
    Route.objects.filter(pk=default.pk).update(
        demoted_until=timezone.now() + timedelta(minutes=5)
    )
    assert route_resolve(account_id=account.pk, channel="SMS").key == near.key


def test_routes_all_disabled_send_nowhere(account):
    make(account, enabled=False)
    with pytest.raises(NoRoute):
        route_resolve(account_id=account.pk, channel="SMS")


def test_other_channels_keep_the_builtin_simulator(account):
    make(account, channel="SMS")
    assert route_resolve(account_id=account.pk, channel="RCS").key == "simulator"


def test_rotation_re_encrypts_with_the_new_key_and_the_old_one_can_go(
    account, settings
):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    old = Fernet.generate_key().decode()
    new = Fernet.generate_key().decode()
    settings.MEGAFONO_ENCRYPTION_KEYS = [old]
    route = make(account, settings={"signingSecret": SECRET})
    settings.MEGAFONO_ENCRYPTION_KEYS = [new, old]
    call_command("route_secrets_rotate", stdout=StringIO())
    settings.MEGAFONO_ENCRYPTION_KEYS = [new]
    assert route_spec(route.key).settings["signingSecret"] == SECRET
