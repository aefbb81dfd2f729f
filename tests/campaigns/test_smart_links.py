"""Tracked short links and the one-click opt-out page."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client

from campaigns import sending
from campaigns.services import campaign_confirm, campaign_create
from campaigns.stats import campaign_stats
from contacts.models import OptOut
from messaging.links import CODE_LENGTH, short_base
from messaging.models import Message, TrackedLink, WebhookEvent
from messaging.webhooks import event_payload, webhook_create
from tests.campaigns.builders import priced
from tests.campaigns.conftest import make_list

LONG = "https://shop.example.com/saldi/primavera?utm_source=sms&utm_campaign=spring2026"
TEXT = f"Saldi -30% su tutto: {LONG}. Cancellati: {{{{optout_link}}}}"
ROWS = [
    {"phone": "+393330000001", "country": "IT", "first_name": "Mario"},
    {"phone": "+447911123456", "country": "GB", "first_name": "John"},
]


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.SIMULATOR_MIN_DELAY = 0
    settings.SIMULATOR_MAX_DELAY = 0
    settings.MEGAFONO_PUBLIC_URL = "https://m.example.it"


def _sent(account, rows=ROWS, **settings):
    contact_list = make_list(account, rows)
    campaign = priced(account, contact_list, text=TEXT, track_links=True, **settings)
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    sending.campaign_start(campaign_id=campaign.pk)
    while sending.campaign_send_batch(campaign_id=campaign.pk):
        pass
    return campaign


def _codes(text: str) -> list[str]:
    return re.findall(re.escape(short_base()) + r"([0-9A-Za-z]+)", text)


def test_each_recipient_gets_own_codes_and_the_quote_counts_short_links(account):
    campaign = _sent(account)
    campaign.refresh_from_db()
    # 41 + 80 characters of URL would be two parts; with short links it is one.
    assert campaign.parts_per_message == 1
    texts = list(Message.objects.filter(campaign=campaign).values_list("text", "parts"))
    codes = [code for text, parts in texts for code in _codes(text)]
    assert len(codes) == 4 == len(set(codes))
    assert all(len(code) == CODE_LENGTH for code in codes)
    assert all(parts == 1 for _text, parts in texts)
    assert all(LONG not in text for text, _parts in texts)
    assert TrackedLink.objects.filter(campaign_id=campaign.pk).count() == 4


@pytest.mark.smoke
def test_two_clicks_are_two_clicks_and_one_unique(account, client, api):
    campaign = _sent(account)
    message = Message.objects.get(campaign=campaign, phone="+393330000001")
    tracked, _optout = _codes(message.text)
    for _ in range(2):
        response = client.get(f"/l/{tracked}")
        assert response.status_code == 302
        assert response["Location"] == LONG
    assert client.get("/l/0000000000").status_code == 404
    stats = api.get(f"/api/partner-gateway/v1/campaigns/{campaign.pk}/stats").json()
    assert (stats["clicks"], stats["uniqueClicks"]) == (2, 1)
    assert stats["clickRate"] == 0.5
    messages = api.get(
        f"/api/partner-gateway/v1/campaigns/{campaign.pk}/messages"
    ).json()["messages"]
    clicked = {m["phoneNumber"]: m["clickedAt"] for m in messages}
    assert clicked["+393330000001"] is not None
    assert clicked["+447911123456"] is None
    assert campaign_stats(campaign).sent == 2


def test_the_opt_out_link_opts_out_and_the_next_campaign_skips_it(account, client, api):
    campaign = _sent(account)
    italian = Message.objects.get(campaign=campaign, phone="+393330000001")
    british = Message.objects.get(campaign=campaign, phone="+447911123456")
    page = client.get(f"/l/{_codes(italian.text)[1]}")
    assert page.status_code == 200
    assert page["X-Robots-Tag"] == "noindex"
    assert OptOut.objects.filter(account=account, phone="+393330000001").exists()
    assert OptOut.objects.get(phone="+393330000001").source == "link"
    english = client.get(f"/l/{_codes(british.text)[1]}").content.decode()
    assert "You are unsubscribed" in english
    stats = api.get(f"/api/partner-gateway/v1/campaigns/{campaign.pk}/stats").json()
    assert stats["optOutsByLink"] == 2
    again = make_list(account, ROWS[:1], name="Again")
    later = priced(account, again, text="Ancora saldi")
    assert later.recipient_count == 0
    assert later.blacklisted_recipients == 1


def test_italian_numbers_read_the_page_in_italian(account, client, settings):
    settings.LANGUAGE_CODE = "en"
    campaign = _sent(account, rows=ROWS[:1])
    message = Message.objects.get(campaign=campaign)
    html = client.get(f"/l/{_codes(message.text)[1]}").content.decode()
    assert 'lang="it"' in html
    assert "+39••••0001" in html


def test_the_counter_counts_tracked_links_at_their_short_length(client_logged, account):
    campaign = campaign_create(account=account, name="Promo")
    text = "Saldi -30% su tutto fino a domenica, ti aspettiamo: " + LONG * 2

    def parts(**extra) -> str:
        html = client_logged.post(
            f"/campaigns/{campaign.pk}/counter/",
            {"text": text, **extra},
            HTTP_HX_REQUEST="true",
        ).content.decode()
        return re.search(r"<strong>(\d+)</strong> part", html).group(1)

    assert parts() == "2"
    assert parts(track_links="on") == "1"


def test_every_click_is_a_signed_message_clicked_event(account, client, settings):
    settings.MEGAFONO_ALLOW_PRIVATE_URLS = True
    endpoint, _secret = webhook_create(
        account=account, url="http://127.0.0.1:9/hook", events=["message.clicked"]
    )
    campaign = _sent(account)
    message = Message.objects.get(campaign=campaign, phone="+393330000001")
    tracked, _optout = _codes(message.text)
    client.get(f"/l/{tracked}")
    client.get(f"/l/{tracked}")

    events = WebhookEvent.objects.filter(endpoint=endpoint).order_by("id")
    payloads = [event_payload(event) for event in events]
    assert [p["type"] for p in payloads] == ["message.clicked", "message.clicked"]
    assert payloads[0]["data"]["messageId"] == message.pk
    assert payloads[0]["data"]["phoneNumber"] == "+393330000001"


TWO_LINKS = "Saldi: https://shop.example.com/donna e https://shop.example.com/uomo"


def _sent_with(account, text: str):
    contact_list = make_list(account, ROWS)
    campaign = priced(account, contact_list, text=text, track_links=True)
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    sending.campaign_start(campaign_id=campaign.pk)
    while sending.campaign_send_batch(campaign_id=campaign.pk):
        pass
    return campaign


def test_a_recipient_clicking_both_links_is_one_unique_click(account, client, api):
    campaign = _sent_with(account, TWO_LINKS)
    mario = Message.objects.get(campaign=campaign, phone="+393330000001")
    john = Message.objects.get(campaign=campaign, phone="+447911123456")
    women, men = _codes(mario.text)
    for code in (women, men, men, _codes(john.text)[0]):
        assert client.get(f"/l/{code}").status_code == 302
    stats = api.get(f"/api/partner-gateway/v1/campaigns/{campaign.pk}/stats").json()
    assert (stats["clicks"], stats["uniqueClicks"]) == (4, 2)
    assert stats["clickRate"] == 1.0


@pytest.mark.django_db(transaction=True)
def test_both_links_clicked_at_the_same_moment_are_one_unique_click(account, api):
    """Two requests at once, one per link of the same recipient: the figures
    are moved under the recipient's links' lock, so neither counts twice."""
    campaign = _sent_with(account, TWO_LINKS)
    mario = Message.objects.get(campaign=campaign, phone="+393330000001")
    codes = _codes(mario.text)
    start = threading.Barrier(len(codes))

    def click(code: str) -> int:
        start.wait()
        try:
            return Client().get(f"/l/{code}").status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(len(codes)) as pool:
        assert list(pool.map(click, codes)) == [302, 302]
    stats = api.get(f"/api/partner-gateway/v1/campaigns/{campaign.pk}/stats").json()
    assert (stats["clicks"], stats["uniqueClicks"]) == (2, 1)
