"""A provider's error with a control character in it no longer breaks the XLSX of
a campaign's results (openpyxl's IllegalCharacterError); the CSV keeps it."""

from __future__ import annotations

from io import BytesIO

from openpyxl import load_workbook

from campaigns import sending
from campaigns.services import campaign_confirm
from messaging.models import Message
from tests.campaigns.builders import priced
from tests.campaigns.conftest import italian_rows, make_list


def _failed_with_a_bell(account):
    campaign = priced(account, make_list(account, italian_rows(2)))
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    sending.campaign_start(campaign_id=campaign.pk)
    Message.objects.filter(campaign=campaign).update(
        error_code="\x1b[31m", error_reason="Rejected\x07 by the carrier"
    )
    return campaign


def test_the_xlsx_export_drops_illegal_characters(account, api, client_logged):
    campaign = _failed_with_a_bell(account)
    for response in (
        client_logged.get(f"/campaigns/{campaign.pk}/messages.xlsx"),
        api.get(
            f"/api/partner-gateway/v1/campaigns/{campaign.pk}/messages/export"
            "?format=xlsx"
        ),
    ):
        assert response.status_code == 200
        sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
        rows = list(sheet.iter_rows(values_only=True))
        assert len(rows) == 3
        assert {row[6:8] for row in rows[1:]} == {("[31m", "Rejected by the carrier")}


def test_the_csv_export_keeps_them(account, client_logged):
    campaign = _failed_with_a_bell(account)
    response = client_logged.get(f"/campaigns/{campaign.pk}/messages.csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert text.count("\x1b[31m,Rejected\x07 by the carrier,") == 2
