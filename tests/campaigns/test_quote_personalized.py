"""Personalized SMS: parts per recipient, UCS-2 caused by data, and what fixes save."""

from __future__ import annotations

from decimal import Decimal

from accounts.models import Account
from campaigns.models import Campaign
from campaigns.services import campaign_calculate, campaign_create
from tests.campaigns.conftest import make_list


def _campaign(account: Account, text: str, rows: list[dict], **extra) -> Campaign:
    contact_list = make_list(account, rows)
    campaign = campaign_create(
        account=account,
        **{"name": "P", "text": text, "contact_list": contact_list, **extra},
    )
    return campaign_calculate(account=account, pk=campaign.pk)


def test_parts_counted_per_recipient(account):
    # 150 fixed GSM chars + the code: a 5-char code fits one part, a 20-char one doesn't.
    text = "x" * 150 + " {{code}}"
    rows = [
        {"phone": "+393330000001", "attributes": {"code": "ABCDE"}},
        {"phone": "+393330000002", "attributes": {"code": "ABCDEFGHIJKLMNOPQRST"}},
        {"phone": "+393330000003", "attributes": {"code": "XYZ"}},
    ]
    campaign = _campaign(account, text, rows)
    assert campaign.parts_per_message is None
    assert campaign.estimated_parts == 4
    assert campaign.quote["partsHistogram"] == {"1": 2, "2": 1}
    assert campaign.estimated_cost == Decimal("0.14")  # 4 x 0.035


def test_a_name_with_a_non_gsm_letter_switches_that_recipient_to_ucs2(account):
    text = (
        "Ciao {{first_name}}, il tuo codice sconto e' {{code}}: valido fino a domenica!"
    )
    rows = [
        {"phone": "+393330000001", "first_name": "Mario", "attributes": {"code": "A1"}},
        {
            "phone": "+393330000002",
            "first_name": "Łukasz",
            "attributes": {"code": "A2"},
        },
    ]
    campaign = _campaign(account, text, rows)
    insights = campaign.quote["insights"]
    assert campaign.encoding == "MIXED"
    assert insights["ucs2Recipients"] == 1
    assert insights["ucs2Fields"] == {"first_name": 1}
    # One part either way at this length: transliteration would save nothing.
    assert "transliteration" not in insights


def test_transliteration_saving_is_exact(account):
    # 69 GSM units of fixed text + a name: UCS-2 with "È" goes over 70 -> 2 parts.
    text = "x" * 60 + " {{first_name}}"
    rows = [
        {"phone": f"+39333000000{i}", "first_name": "Èlia Rossi"} for i in range(4)
    ] + [{"phone": "+393330000009", "first_name": "Elia Rossi"}]
    campaign = _campaign(account, text, rows)
    insights = campaign.quote["insights"]
    assert campaign.estimated_parts == 4 * 2 + 1
    assert insights["transliteration"]["recipients"] == 4
    # 9 parts now, 5 once transliterated: 4 x 0.035 = 0.14 saved
    assert insights["transliteration"]["saving"] == "0.14"

    fixed = _campaign(account, text, rows, transliterate_fields=True)
    assert fixed.estimated_parts == 5
    assert fixed.estimated_cost == campaign.estimated_cost - Decimal("0.14")


def test_lookalike_quote_in_the_template_is_priced(account):
    text = "Ciao {{first_name}}, l\u2019offerta scade domani " + "x" * 40
    rows = [{"phone": "+393330000001", "first_name": "Anna"}]
    campaign = _campaign(account, text, rows)
    assert campaign.estimated_parts == 2  # the curly apostrophe forces UCS-2
    # The bills: 2 parts = 0.07, 1 part = 0.035 -> 0.04 rounded; 0.03 saved.
    assert campaign.quote["insights"]["lookalikes"]["saving"] == "0.03"


def test_empty_fields_are_reported(account):
    rows = [
        {"phone": "+393330000001", "attributes": {"code": "A"}},
        {"phone": "+393330000002"},
    ]
    campaign = _campaign(account, "Codice: {{code}}", rows)
    assert campaign.quote["insights"]["emptyFields"] == {"code": 1}
