"""A confirmed campaign goes out through the simulator, end to end, in-process."""

from __future__ import annotations

import json
import time
import uuid
from decimal import Decimal
from io import BytesIO, StringIO

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from accounts.models import LedgerEntry
from accounts.money import to_cents
from campaigns import sending
from campaigns.models import Campaign
from campaigns.services import campaign_confirm
from campaigns.stats import campaign_stats
from contacts.models import Contact, OptOut
from messaging.gateways.simulator.reporting import simulator_reports_send
from messaging.models import Message, Price
from messaging.receipts import reports_apply
from tests.campaigns.builders import priced, submitted
from tests.campaigns.conftest import italian_rows, make_list


@pytest.fixture(autouse=True)
def _instant_reports(settings):
    settings.SIMULATOR_MIN_DELAY = 0
    settings.SIMULATOR_MAX_DELAY = 0
    settings.SEND_BATCH_SIZE = 7


def run_to_the_end(campaign_id: int) -> None:
    """What workers and beat do, in order, until the campaign completes."""
    assert sending.campaign_start(campaign_id=campaign_id)
    while sending.campaign_send_batch(campaign_id=campaign_id):
        pass
    while simulator_reports_send() or reports_apply():
        pass
    sending.campaign_try_complete(campaign_id=campaign_id)


def test_every_recipient_gets_one_message_and_the_bill_adds_up(account, api):
    contact_list = make_list(account, italian_rows(30))
    campaign = priced(account, contact_list)
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    run_to_the_end(campaign.pk)

    campaign.refresh_from_db()
    assert campaign.status == "COMPLETED"
    out = StringIO()
    call_command("simulator_report", campaign=campaign.pk, stdout=out)
    assert json.loads(out.getvalue()) == {
        "submissions": 30,
        "distinctRecipients": 30,
        "duplicates": 0,
    }
    stats = campaign_stats(campaign)
    assert stats.total == stats.sent == 30
    assert stats.delivered + stats.failed == 30
    ledger = dict(
        LedgerEntry.objects.filter(reference=campaign.reference).values_list(
            "kind", "amount"
        )
    )
    assert ledger["reservation"] == Decimal("1.05")
    assert ledger["capture"] + ledger.get("release", 0) == ledger["reservation"]
    assert campaign.captured_amount == Decimal("1.05")
    body = api.get(f"/api/partner-gateway/v1/campaigns/stats?campaignId={campaign.pk}")
    assert body.json()["stats"]["total"] == 30
    assert body.json()["cost"]["totalCredits"] == 1.05


def test_an_opt_out_after_confirmation_is_skipped_and_not_charged(account):
    contact_list = make_list(account, italian_rows(10))
    campaign = priced(account, contact_list)
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    sending.campaign_prepare(campaign_id=campaign.pk)
    OptOut.objects.create(account=account, phone="+393330000003")
    run_to_the_end(campaign.pk)
    skipped = Message.objects.get(campaign=campaign, phone="+393330000003")
    assert skipped.status == "SKIPPED"
    campaign.refresh_from_db()
    assert campaign.captured_amount == Decimal("0.32")  # 9 x 0.035, rounded
    assert campaign_stats(campaign).skipped == 1


def test_a_list_edited_after_confirmation_changes_nothing(account):
    contact_list = make_list(account, italian_rows(5))
    campaign = priced(account, contact_list)
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    make_list(account, italian_rows(3, start=100))  # unrelated
    contact_list.contacts.create(phone="+393339999999", raw_phone="x", status="valid")
    run_to_the_end(campaign.pk)
    assert Message.objects.filter(campaign=campaign).count() == 5


def test_a_simulated_campaign_moves_no_credit(account):
    contact_list = make_list(account, italian_rows(4))
    campaign = priced(account, contact_list, simulation=True)
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    run_to_the_end(campaign.pk)
    assert Campaign.objects.get(pk=campaign.pk).status == "COMPLETED"
    assert not LedgerEntry.objects.filter(reference=campaign.reference).exists()


def test_the_routes_rate_limit_holds_a_batch_back_untouched(account, settings):
    settings.GATEWAY_RATE_LIMITS = {"simulator": 5.0}
    contact_list = make_list(account, italian_rows(14))
    campaign = priced(account, contact_list)
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    assert sending.campaign_start(campaign_id=campaign.pk)
    assert sending.campaign_send_batch(campaign_id=campaign.pk) == 7
    with pytest.raises(sending.Throttled) as throttled:
        sending.campaign_send_batch(campaign_id=campaign.pk)
    assert throttled.value.wait > 0
    queued = Message.objects.filter(campaign=campaign, status="QUEUED")
    assert queued.count() == 7
    assert not queued.filter(claim_token__isnull=False).exists()


def test_per_recipient_results_page_by_page_and_as_csv(account, api, client_logged):
    campaign = priced(account, make_list(account, italian_rows(12)))
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    run_to_the_end(campaign.pk)
    base = f"/api/partner-gateway/v1/campaigns/{campaign.pk}/messages"
    first = api.get(f"{base}?limit=10").json()
    second = api.get(f"{base}?limit=10&cursor={first['nextCursor']}").json()
    phones = [m["phoneNumber"] for m in first["messages"] + second["messages"]]
    assert phones == [f"+39333{i:07d}" for i in range(12)]
    assert second["nextCursor"] is None
    assert api.get(f"{base}?status=bogus").status_code == 400
    csv = b"".join(client_logged.get(f"/campaigns/{campaign.pk}/messages.csv"))
    lines = csv.decode("utf-8-sig").splitlines()
    assert len(lines) == 13
    assert lines[1].startswith("+393330000000,")  # E.164 exported as it is
    xlsx = client_logged.get(f"/campaigns/{campaign.pk}/messages.xlsx")
    sheet = load_workbook(BytesIO(b"".join(xlsx.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 13
    assert rows[1][0] == "+393330000000"
    via_api = api.get(f"{base}/export?format=xlsx")
    assert via_api["Content-Type"].startswith("application/vnd.openxmlformats")


def test_the_page_pauses_resumes_and_stops(account, client_logged, settings):
    settings.SEND_BATCH_SIZE = 3
    campaign = submitted(account, make_list(account, italian_rows(9)))
    client_logged.post(f"/campaigns/{campaign.pk}/pause/")
    assert Campaign.objects.get(pk=campaign.pk).status == "PAUSED"
    assert sending.campaign_send_batch(campaign_id=campaign.pk) == 0  # nothing new
    client_logged.post(f"/campaigns/{campaign.pk}/resume/")
    assert Campaign.objects.get(pk=campaign.pk).status == "SENDING"
    sending.campaign_send_batch(campaign_id=campaign.pk)
    client_logged.post(f"/campaigns/{campaign.pk}/stop/")
    campaign.refresh_from_db()
    assert campaign.status == "COMPLETED"
    stats = campaign_stats(campaign)
    assert (stats.sent, stats.canceled) == (6, 3)
    ledger = dict(
        LedgerEntry.objects.filter(reference=campaign.reference).values_list(
            "kind", "amount"
        )
    )
    assert ledger["capture"] == Decimal("0.21")  # 6 x 0.035
    assert ledger["release"] == Decimal("0.11")
    page = client_logged.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "Final cost" in page


def test_a_test_send_goes_now_personalised_and_charged(account, api):
    rows = [{**row, "first_name": "Anna"} for row in italian_rows(3)]
    contact_list = make_list(account, rows)
    campaign = priced(account, contact_list, text="Ciao {{first_name}}!")
    body = api.post(
        f"/api/partner-gateway/v1/campaigns/{campaign.pk}/test",
        {"phoneNumbers": ["+393330000001", "3471234567"]},
    ).json()
    assert [m["status"] for m in body["messages"]] == ["SUBMITTED", "SUBMITTED"]
    texts = Message.objects.filter(test_of=campaign).values_list("text", flat=True)
    assert set(texts) == {"Ciao Anna!"}
    ledger = LedgerEntry.objects.filter(
        reference__startswith=f"{campaign.reference}:test"
    )
    assert {e.kind: e.amount for e in ledger} == {
        "reservation": Decimal("0.07"),
        "capture": Decimal("0.07"),
    }
    too_many = api.post(
        f"/api/partner-gateway/v1/campaigns/{campaign.pk}/test",
        {"phoneNumbers": ["+393330000001"] * 6},
    )
    assert too_many.status_code == 400
    bad = api.post(
        f"/api/partner-gateway/v1/campaigns/{campaign.pk}/test",
        {"phoneNumbers": ["ciao"]},
    )
    assert bad.json() == {
        "status": "fail",
        "data": {
            "phoneNumbers": "ciao is not a valid number: it does not look like a phone number."
        },
    }


def test_the_cost_step_sends_a_test_and_shows_its_status(account, client_logged):
    campaign = priced(account, make_list(account, italian_rows(2)))
    response = client_logged.post(
        f"/campaigns/{campaign.pk}/test/",
        {"phone_numbers": "+39 333 000 0001, ciao"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert (
        "ciao is not a valid number: it does not look like a phone number."
        in response.content.decode()
    )
    response = client_logged.post(
        f"/campaigns/{campaign.pk}/test/",
        {"phone_numbers": "+39 333 000 0001"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "+393330000001" in response.content.decode()
    sent = Message.objects.get(test_of=campaign, status="SUBMITTED")
    poll = f"/campaigns/{campaign.pk}/test/results/?ids={sent.pk}"
    assert poll in response.content.decode()  # the panel keeps itself up to date

    assert client_logged.get(poll, HTTP_HX_REQUEST="true").status_code == 200
    while simulator_reports_send() or reports_apply():
        pass
    response = client_logged.get(poll, HTTP_HX_REQUEST="true")
    assert response.status_code == 286  # final: polling stops
    assert "Delivered" in response.content.decode()


def test_nonsense_in_the_stats_and_results_queries_is_a_400(account, api):
    campaign = priced(account, make_list(account, italian_rows(1)))
    base = "/api/partner-gateway/v1/campaigns"
    for path in (
        f"{base}/stats?campaignId=99999999999999999999",
        f"{base}/stats?campaignId=abc",
        f"{base}/{campaign.pk}/messages?cursor=99999999999999999999",
        f"{base}/{campaign.pk}/messages?cursor=%00",
        f"{base}/{campaign.pk}/messages?status=%00",
    ):
        assert api.get(path).status_code == 400, path
    long_number = api.post(
        f"{base}/{campaign.pk}/test", {"phoneNumbers": ["1" * 5000, "\u0000"]}
    )
    assert long_number.status_code == 400


@pytest.mark.parametrize(
    "text",
    ["Saldi -30% oggi, ma solo per te: 100% vero", "Ciao {{first_name}}, -30% oggi"],
    ids=["same-text-for-all", "personalised"],
)
def test_the_messages_cost_what_the_quote_said_per_country(account, text):
    rows = [
        *italian_rows(6),
        {"phone": "+447700900123", "first_name": "Ann", "country": "GB"},
        {"phone": "+447700900124", "first_name": "Bob", "country": "GB"},
    ]
    Price.objects.create(channel="SMS", country="GB", price=Decimal("0.0410"))
    campaign = priced(
        account, make_list(account, rows), text=text, goal_contact_count=7
    )
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    sending.campaign_prepare(campaign_id=campaign.pk)

    messages = Message.objects.filter(campaign=campaign).order_by("id")
    assert [m.phone for m in messages] == [r["phone"] for r in rows[:7]]
    assert to_cents(sum(m.price for m in messages)) == campaign.estimated_cost
    by_country = {m.country: m.unit_price for m in messages}
    assert by_country["GB"] != by_country["IT"]
    assert {m.parts for m in messages} == {campaign.estimated_parts // 7}
    assert len({m.client_ref for m in messages}) == 7


@pytest.mark.parametrize("text", ["Saldi -30% oggi", "Ciao {{first_name}}"])
def test_client_references_are_unique_and_in_time_order(account, text):
    """Both ways of creating messages (one INSERT ... SELECT for a shared text,
    COPY for a personalized one) give each message its own version 7 UUID, the
    time-ordered kind that appends to the reference index (`references.py`)."""
    contact_list = make_list(account, italian_rows(40))
    campaign = priced(account, contact_list, text=text)
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    before = time.time()
    sending.campaign_prepare(campaign_id=campaign.pk)
    after = time.time()

    refs = list(
        Message.objects.filter(campaign=campaign).values_list("client_ref", flat=True)
    )
    assert len(refs) == len(set(refs)) == 40
    assert {ref.version for ref in refs} == {7}
    assert {ref.variant for ref in refs} == {uuid.RFC_4122}
    for ref in refs:  # the first 48 bits: milliseconds since the epoch
        assert before * 1000 - 1 <= ref.int >> 80 <= after * 1000 + 1


def test_the_results_file_reads_like_the_page(account, client_logged, settings):
    """Names beside numbers, times in the account's zone to the second, prices
    as the API writes them, and nothing to pay for what a stop left unsent."""
    import csv as csv_module

    settings.SIMULATOR_MIN_DELAY = settings.SIMULATOR_MAX_DELAY = 3600
    settings.SEND_BATCH_SIZE = 2
    campaign = submitted(account, make_list(account, italian_rows(4)))
    sending.campaign_stop(account=account, pk=campaign.pk)

    body = b"".join(client_logged.get(f"/campaigns/{campaign.pk}/messages.csv"))
    rows = list(csv_module.DictReader(body.decode("utf-8-sig").splitlines()))
    assert [row["status"] for row in rows] == [
        "SUBMITTED",
        "SUBMITTED",
        "CANCELED",
        "CANCELED",
    ]
    assert [row["price"] for row in rows] == ["0.035", "0.035", "0", "0"]
    first = Message.objects.get(campaign=campaign, phone=rows[0]["phone"])
    assert rows[0]["first name"] == Contact.objects.get(pk=first.contact_id).first_name
    assert rows[0]["first name"]
    assert rows[0]["sent at"].endswith("+01:00")  # Europe/Rome in December
    assert "." not in rows[0]["sent at"]
