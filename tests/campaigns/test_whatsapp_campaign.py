"""WhatsApp campaigns name a synced, approved template and map its variables to
list columns; each recipient's message carries its own template parameters."""

from __future__ import annotations

import pytest
from django.utils import timezone

from campaigns import sending
from campaigns.models import Campaign
from campaigns.services import campaign_confirm
from campaigns.trials import campaign_test_send
from messaging import dispatch
from messaging.gateways.base import (
    NOT_CAPABLE,
    GatewayThrottled,
    GatewayUnavailable,
    RouteSpec,
)
from messaging.gateways.whatsapp_cloud.gateway import WhatsAppCloudGateway
from messaging.models import Message, MessageStatus, WhatsAppTemplate
from tests.campaigns.builders import priced
from tests.campaigns.conftest import make_list
from tests.fakes.whatsapp_cloud import FakeWhatsAppCloud

BODY_IT = "Ciao {{1}}, il tuo codice {{2}} vale il 30% fino a domenica."
MAPPING = {"1": "first_name", "2": "code"}


def synced(account, *templates: tuple[str, str, str, str]) -> None:
    """Templates as a sync leaves them: (name, language, status, body)."""
    WhatsAppTemplate.objects.bulk_create(
        WhatsAppTemplate(
            account=account,
            route_key="r1",
            name=name,
            language=language,
            status=status,
            body=body,
            variables=body.count("{{"),
            synced_at=timezone.now(),
        )
        for name, language, status, body in templates
    )


@pytest.fixture
def templates(account) -> None:
    synced(
        account,
        ("black_friday_v2", "it", "APPROVED", BODY_IT),
        ("black_friday_v2", "en_US", "APPROVED", "Hi {{1}}, code {{2}}."),
        ("order_update", "en_US", "APPROVED", "Your order has shipped."),
        ("spring_sale_draft", "en_US", "PENDING", "Spring is here, {{1}}!"),
    )


def create(api, **body):
    return api.post(
        "/api/partner-gateway/v1/campaigns",
        {"name": "Black Friday", "channel": "whatsapp", **body},
    )


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"message": "black_friday_v2"},
            {"message": "black_friday_v2 exists in en_US, it: write name:language."},
        ),
        (
            {"templateId": "black_friday_v9"},
            {"templateId": "No approved WhatsApp template is called black_friday_v9."},
        ),
        (
            {"templateId": "spring_sale_draft"},
            {
                "templateId": (
                    "No approved WhatsApp template is called spring_sale_draft."
                )
            },
        ),
        (
            {"templateId": "black_friday_v2:it"},
            {"templateVariables": "Choose a list column for {{1}}, {{2}}."},
        ),
        (
            {"templateId": "black_friday_v2:it", "templateVariables": {"1": "x"}},
            {"templateVariables": "Choose a list column for {{2}}."},
        ),
        (
            {"templateId": "order_update", "templateVariables": {"one": "code"}},
            {
                "templateVariables": (
                    "Map variables by number (1 to 100) to list columns: "
                    '{"1": "first_name"}.'
                )
            },
        ),
    ],
)
def test_template_must_be_approved_and_fully_mapped(api, templates, body, errors):
    response = create(api, **body)

    assert response.status_code == 400
    assert response.json() == {"status": "fail", "data": errors}


def test_name_and_language_with_a_mapping_is_accepted(api, templates):
    response = create(api, templateId="black_friday_v2:it", templateVariables=MAPPING)

    assert response.status_code == 201, response.json()
    assert response.json()["templateId"] == "black_friday_v2:it"
    assert response.json()["templateVariables"] == MAPPING


def test_a_name_in_one_language_needs_no_language(account, api, templates):
    response = create(api, message="order_update")

    assert response.status_code == 201
    campaign = Campaign.objects.get(pk=response.json()["id"])
    assert (campaign.template_id, campaign.template_language) == (
        "order_update",
        "en_US",
    )


def test_without_synced_templates_any_name_is_taken_as_before(api):
    response = create(api, message="template_id_approved_by_meta")

    assert response.status_code == 201
    assert response.json()["templateId"] == "template_id_approved_by_meta"


@pytest.fixture
def fake(httpserver, settings) -> FakeWhatsAppCloud:
    settings.MEGAFONO_ALLOW_PRIVATE_URLS = True
    return FakeWhatsAppCloud(httpserver)


def test_each_recipient_gets_the_template_with_their_own_values(
    account, templates, fake
):
    """Prepared messages keep each contact's parameters and the rendered body;
    the route sends them as Meta's template components; a number that is not on
    WhatsApp is refused as NOT_CAPABLE (for SMS fallback)."""
    contact_list = make_list(
        account,
        [
            {
                "phone": "+393471234567",
                "first_name": "Giulia",
                "attributes": {"code": "BF30-AX12"},
            },
            {
                "phone": "+393471234568",
                "first_name": "Marco",
                "attributes": {"code": "BF30-QW34"},
            },
            {"phone": "+393470000000", "first_name": "Nina", "attributes": {}},
        ],
    )
    campaign = priced(
        account,
        contact_list,
        channel="WHATSAPP",
        text="",
        template_id="black_friday_v2:it",
        template_variables=MAPPING,
    )
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    assert sending.campaign_prepare(campaign_id=campaign.pk)

    messages = list(Message.objects.filter(campaign=campaign).order_by("id"))
    assert [(m.text, m.payload) for m in messages] == [
        (
            "Ciao Giulia, il tuo codice BF30-AX12 vale il 30% fino a domenica.",
            {
                "template": {
                    "name": "black_friday_v2",
                    "language": "it",
                    "parameters": ["Giulia", "BF30-AX12"],
                }
            },
        ),
        (
            "Ciao Marco, il tuo codice BF30-QW34 vale il 30% fino a domenica.",
            {
                "template": {
                    "name": "black_friday_v2",
                    "language": "it",
                    "parameters": ["Marco", "BF30-QW34"],
                }
            },
        ),
        (
            "Ciao Nina, il tuo codice  vale il 30% fino a domenica.",
            {
                "template": {
                    "name": "black_friday_v2",
                    "language": "it",
                    "parameters": ["Nina", ""],
                }
            },
        ),
    ]

    fake.not_users.add("393470000000")
    route = WhatsAppCloudGateway(
        RouteSpec(
            key="r1",
            kind="whatsapp-cloud",
            channel="WHATSAPP",
            settings=fake.settings(),
        )
    )
    claim = dispatch.messages_claim(campaign_id=campaign.pk, size=10)
    dispatch.messages_submit(claim=claim, gateway=route, account_id=account.pk)

    assert [b["template"]["components"][0]["parameters"] for b in fake.accepted] == [
        [{"type": "text", "text": "Giulia"}, {"type": "text", "text": "BF30-AX12"}],
        [{"type": "text", "text": "Marco"}, {"type": "text", "text": "BF30-QW34"}],
    ]
    rows = Message.objects.filter(campaign=campaign).order_by("id")
    assert [(m.status, m.provider_id, m.error_code) for m in rows] == [
        (MessageStatus.SUBMITTED, "wamid.fake000001", ""),
        (MessageStatus.SUBMITTED, "wamid.fake000002", ""),
        (MessageStatus.REJECTED, "", NOT_CAPABLE),
    ]


def test_an_outage_half_way_sends_nobody_twice(account, templates, fake):
    """Meta took two of four when it broke: those stay submitted, the other two are
    queued again and go with the next claim; each number gets one message."""
    rows = [
        {
            "phone": f"+39347123456{i}",
            "first_name": f"N{i}",
            "attributes": {"code": "C"},
        }
        for i in range(4)
    ]
    campaign = priced(
        account,
        make_list(account, rows),
        channel="WHATSAPP",
        text="",
        template_id="black_friday_v2:it",
        template_variables=MAPPING,
    )
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    sending.campaign_prepare(campaign_id=campaign.pk)
    route = WhatsAppCloudGateway(
        RouteSpec(
            key="r1",
            kind="whatsapp-cloud",
            channel="WHATSAPP",
            settings=fake.settings(),
        )
    )
    original = fake._send

    def break_on_third(request):
        if fake.calls == 2:
            fake.outage = 1
        return original(request)

    fake.server.clear()
    fake.server.expect_request(
        "/v21.0/106540352242922/messages", method="POST"
    ).respond_with_handler(break_on_third)
    first = dispatch.messages_claim(campaign_id=campaign.pk, size=10)
    with pytest.raises(GatewayUnavailable):  # the lane retries later, with backoff
        dispatch.messages_submit(claim=first, gateway=route, account_id=account.pk)

    assert Message.objects.filter(campaign=campaign, status="SUBMITTED").count() == 2
    assert Message.objects.filter(campaign=campaign, status="QUEUED").count() == 2
    second = dispatch.messages_claim(campaign_id=campaign.pk, size=10)
    assert len(second.ids) == 2  # handed back at once, not after the claim timeout
    dispatch.messages_submit(claim=second, gateway=route, account_id=account.pk)

    assert Message.objects.filter(campaign=campaign, status="SUBMITTED").count() == 4
    assert sorted(b["to"] for b in fake.accepted) == [
        f"39347123456{i}" for i in range(4)
    ]


def _prepared(account, rows):
    campaign = priced(
        account,
        make_list(account, rows),
        channel="WHATSAPP",
        text="",
        template_id="black_friday_v2:it",
        template_variables=MAPPING,
    )
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    sending.campaign_prepare(campaign_id=campaign.pk)
    return campaign


def test_throttling_slows_the_batch_and_fails_nobody(account, templates, fake):
    """130429 on the first send: the batch is handed back whole, every message still
    queued and claimable; the next attempt sends them all."""
    rows = [{"phone": f"+39347123457{i}", "first_name": "A"} for i in range(3)]
    campaign = _prepared(account, rows)
    route = WhatsAppCloudGateway(
        RouteSpec(
            key="r1",
            kind="whatsapp-cloud",
            channel="WHATSAPP",
            settings=fake.settings(),
        )
    )
    fake.throttle = 1
    claim = dispatch.messages_claim(campaign_id=campaign.pk, size=10)
    with pytest.raises(GatewayThrottled):
        dispatch.messages_submit(claim=claim, gateway=route, account_id=account.pk)

    assert set(
        Message.objects.filter(campaign=campaign).values_list("status", "claim_token")
    ) == {(MessageStatus.QUEUED, None)}
    again = dispatch.messages_claim(campaign_id=campaign.pk, size=10)
    dispatch.messages_submit(claim=again, gateway=route, account_id=account.pk)
    assert Message.objects.filter(campaign=campaign, status="SUBMITTED").count() == 3
    assert len(fake.accepted) == 3


def test_a_test_send_carries_the_template_of_the_first_contact(account, templates):
    contact_list = make_list(
        account,
        [
            {
                "phone": "+393471234567",
                "first_name": "Giulia",
                "attributes": {"code": "X1"},
            }
        ],
    )
    campaign = priced(
        account,
        contact_list,
        channel="WHATSAPP",
        text="",
        template_id="black_friday_v2:it",
        template_variables=MAPPING,
    )
    [sent] = campaign_test_send(
        account=account, pk=campaign.pk, phone_numbers=["+393339999999"]
    )

    assert sent.text == "Ciao Giulia, il tuo codice X1 vale il 30% fino a domenica."
    assert sent.payload["template"]["parameters"] == ["Giulia", "X1"]
