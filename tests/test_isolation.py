"""Tenant isolation: every URL that takes an object id is walked as another account.

The test enumerates the URL conf (dashboard pages and every API route, both URL
families), so a new route with an id fails here until `OBJECTS` says how to make
an object of account A for it. Account B's user or key must get 404 on all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from ninja.operation import PathView

from accounts.apikeys import apikey_create
from accounts.models import Account, ApiKey
from campaigns.models import Campaign, RecurringCampaign
from contacts.models import Contact, ContactImport, ContactList, OptOut
from contacts.services import NewContact, contact_list_create, contacts_add

# URL name -> makes an object of account A and returns the URL kwargs pointing at it.
ObjectFactory = Callable[[Account], dict[str, object]]


def _api_key(account: Account) -> dict[str, object]:
    key, _raw = apikey_create(account=account, name="victim")
    return {"pk": key.pk}


def _campaign(account: Account) -> dict[str, object]:
    from campaigns.services import campaign_create

    campaign = campaign_create(account=account, name="victim")
    return {"campaign_id": campaign.pk, "pk": campaign.pk}


def _recurring(account: Account) -> dict[str, object]:
    from campaigns.recurring import recurring_create

    contact_list = ContactList.objects.get(pk=_contact_list(account)["pk"])
    recurring = recurring_create(
        account=account,
        name="victim",
        text="Ciao",
        contact_list=contact_list,
        rrule="FREQ=WEEKLY;BYDAY=MO;BYHOUR=8;BYMINUTE=0",
    )
    return {"recurring_id": recurring.pk, "pk": recurring.pk}


def _contact_list(account: Account) -> dict[str, object]:
    contact_list = contact_list_create(account=account, name="victim")
    contacts_add(
        contact_list=contact_list,
        rows=[NewContact("+393330000001")],
        default_region="IT",
    )
    return {"pk": contact_list.pk, "list_id": contact_list.pk}


def _contact(account: Account) -> dict[str, object]:
    contact_list = ContactList.objects.get(pk=_contact_list(account)["pk"])
    return {"pk": contact_list.contacts.get().pk}


def _contact_import(account: Account) -> dict[str, object]:
    contact_list = ContactList.objects.get(pk=_contact_list(account)["pk"])
    contact_import = ContactImport.objects.create(
        account=account,
        contact_list=contact_list,
        file="imports/victim.csv",
        original_name="victim.csv",
        status=ContactImport.Status.COMPLETED,
    )
    return {"pk": contact_import.pk, "import_id": contact_import.pk}


def _route(account: Account) -> dict[str, object]:
    from messaging.routes import RouteChanges, route_create

    route = route_create(
        account=account,
        kind="simulator",
        channel="SMS",
        changes=RouteChanges(name="victim", settings={"signingSecret": "victim-key"}),
    )
    return {"pk": route.pk, "gateway_id": route.pk}


def _optout(account: Account) -> dict[str, object]:
    return {"pk": OptOut.objects.create(account=account, phone="+393330000009").pk}


def _whatsapp_route(account: Account) -> dict[str, object]:
    from messaging.models import Route

    route = Route.objects.create(
        account=account, kind="whatsapp-cloud", channel="WHATSAPP", name="victim"
    )
    return {"gateway_id": route.pk, "pk": route.pk}


def _webhook(account: Account) -> dict[str, object]:
    from messaging.models import WebhookEndpoint

    endpoint = WebhookEndpoint.objects.create(
        account=account,
        url="https://hooks.example.com/megafono",
        events=["message.status"],
        secret_encrypted="",
    )
    return {"pk": endpoint.pk}


def _webhook_delivery(account: Account) -> dict[str, object]:
    from django.utils import timezone

    from messaging.models import WebhookDelivery, WebhookEndpoint

    endpoint = WebhookEndpoint.objects.get(pk=_webhook(account)["pk"])
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, status="FAILED", retry_from=timezone.now()
    )
    return {"pk": delivery.pk}


def _message(account: Account) -> dict[str, object]:
    from uuid import uuid4

    from messaging.models import Message

    message = Message.objects.create(
        account=account,
        phone="+393330000001",
        text="Ciao",
        unit_price=0,
        price=0,
        gateway="simulator",
        client_ref=uuid4(),
    )
    return {"pk": message.pk}


OBJECTS: dict[str, ObjectFactory] = {
    "api:webhook_detail_api": _webhook,
    "api:webhook_delete_api": _webhook,
    "api:webhook_deliveries_api": _webhook,
    "api:webhook_delivery_replay_api": _webhook_delivery,
    "api:message_detail_api": _message,
    "messaging:webhook": _webhook,
    "messaging:webhook_delete": _webhook,
    "messaging:delivery_replay": _webhook_delivery,
    "accounts:api_key_revoke": _api_key,
    "api:campaign_detail": _campaign,
    "api:campaign_update": _campaign,
    "api:campaign_cancel": _campaign,
    "api:campaign_calculate": _campaign,
    "api:campaign_price": _campaign,
    "api:campaign_confirm": _campaign,
    "api:campaign_stats_api": _campaign,
    "api:campaign_test_send_api": _campaign,
    "api:campaign_messages_export_api": _campaign,
    "api:campaign_messages_api": _campaign,
    "api:campaign_pause_api": _campaign,
    "api:campaign_resume_api": _campaign,
    "api:campaign_stop_api": _campaign,
    "api:recurring_detail": _recurring,
    "api:recurring_update": _recurring,
    "api:recurring_end": _recurring,
    "campaigns:recurring_pause": _recurring,
    "campaigns:recurring_resume": _recurring,
    "campaigns:recurring_end": _recurring,
    "campaigns:detail": _campaign,
    "campaigns:cancel": _campaign,
    "campaigns:live": _campaign,
    "campaigns:messages_export": _campaign,
    "campaigns:test_results": _campaign,
    "campaigns:chart": lambda account: {**_campaign(account), "chart": "progress"},
    "campaigns:pause": _campaign,
    "campaigns:resume": _campaign,
    "campaigns:stop": _campaign,
    "campaigns:setup": _campaign,
    "campaigns:message": _campaign,
    "campaigns:counter": _campaign,
    "campaigns:preview": _campaign,
    "campaigns:composer": _campaign,
    "campaigns:recipients": _campaign,
    "campaigns:cost": _campaign,
    "campaigns:fix": _campaign,
    "campaigns:test_send": _campaign,
    "campaigns:confirm": _campaign,
    "campaigns:schedule_check": _campaign,
    "contacts:list": _contact_list,
    "contacts:list_export": _contact_list,
    "contacts:list_delete": _contact_list,
    "contacts:contact_delete": _contact,
    "contacts:import_columns": _contact_import,
    "contacts:import": _contact_import,
    "contacts:import_errors": _contact_import,
    "contacts:optout_delete": _optout,
    "api:contact_list_api": _contact_list,
    "api:contact_list_delete_api": _contact_list,
    "api:contacts_add_api": _contact_list,
    "api:contacts_api": _contact_list,
    "api:contacts_import_api": _contact_list,
    "api:import_api": _contact_import,
    "api:import_errors_api": _contact_import,
    "api:gateway_get_api": _route,
    "api:gateway_update_api": _route,
    "api:gateway_delete_api": _route,
    "channels:edit": _route,
    "channels:delete": _route,
    "channels:make_default": _route,
    "channels:restore": _route,
    "api:templates_sync_api": _whatsapp_route,
    "api:templates_api": _whatsapp_route,
    "campaigns:templates_sync": _whatsapp_route,
}

# Staff-only or framework URLs whose ids are not tenant objects; delivery reports
# and callbacks name a route and are authenticated by its signature
# (tests/campaigns/test_reports.py, tests/campaigns/test_route_sending.py); a new
# route's form names a kind, not an object.
SKIP_PREFIXES = (
    "channels:create",
    "admin:",
    "password_reset_confirm",
    "api:delivery_reports_api",
    "api:callbacks_api",
    "short_link",
)


def _walk(
    resolver: URLResolver, prefix: str = "", ns: str = ""
) -> Iterator[tuple[str, str, URLPattern]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{ns}{entry.namespace}:" if entry.namespace else ns
            yield from _walk(entry, prefix + str(entry.pattern), namespace)
        elif entry.pattern.converters or "<" in str(entry.pattern):
            yield f"{ns}{entry.name}", prefix + str(entry.pattern), entry


def _id_routes() -> list[tuple[str, str, URLPattern]]:
    return [r for r in _walk(get_resolver()) if not r[0].startswith(SKIP_PREFIXES)]


def _methods(pattern: URLPattern) -> list[str]:
    """HTTP methods of a route: ninja knows its operations; pages get GET and POST."""
    for cell in pattern.callback.__closure__ or ():
        if isinstance(cell.cell_contents, PathView):
            return sorted(
                {m for op in cell.cell_contents.operations for m in op.methods}
            )
    return ["GET", "POST"]


def _fill(route: str, kwargs: dict[str, object]) -> str:
    path = route
    for name, value in kwargs.items():
        for converter in ("int", "str", "uuid", "slug", "path"):
            path = path.replace(f"<{converter}:{name}>", str(value))
        path = path.replace(f"<{name}>", str(value))
    assert "<" not in path, f"unfilled parameter in {route}"
    return "/" + path.replace("^", "").replace("$", "")


def test_every_id_route_is_known():
    unknown = sorted({name for name, _route, _p in _id_routes() if name not in OBJECTS})
    assert not unknown, f"add these URL names to OBJECTS in {__file__}: {unknown}"


@pytest.mark.parametrize(
    ("name", "route", "pattern"),
    [pytest.param(*r, id=f"{r[0]}:{r[1]}") for r in _id_routes()],
)
def test_other_account_gets_404(name, route, pattern, account, other_client, other_api):
    kwargs = OBJECTS[name](account)
    contacts_before = Contact.objects.filter(contact_list__account=account).count()
    path = _fill(route, kwargs)
    is_api = path.startswith("/api/")
    statuses: list[int] = []
    for method in _methods(pattern):
        if is_api:
            response = other_api.request(
                method, path, {} if method in {"POST", "PUT", "PATCH"} else None
            )
        else:
            response = getattr(other_client, method.lower())(path)
        statuses.append(response.status_code)
        if is_api:
            assert response.status_code == 404, f"{method} {path}"
            assert response.json()["status"] == "fail"
    # A page may refuse a method outright (405); never may it answer with the object.
    assert set(statuses) <= {404, 405}, f"{path}: {statuses}"
    assert 404 in statuses, f"{path}: {statuses}"
    assert ApiKey.objects.filter(account=account, revoked_at__isnull=False).count() == 0
    assert not Campaign.objects.filter(account=account).exclude(status="DRAFT").exists()
    assert (
        Contact.objects.filter(contact_list__account=account).count() == contacts_before
    )
    assert ContactImport.objects.filter(account=account).count() == (
        1 if "import_id" in kwargs else 0
    )
    assert (
        not RecurringCampaign.objects.filter(account=account)
        .exclude(status="ACTIVE", text="Ciao", name="victim")
        .exists()
    )
    assert OptOut.objects.filter(account=account).count() == (
        1 if name == "contacts:optout_delete" else 0
    )
