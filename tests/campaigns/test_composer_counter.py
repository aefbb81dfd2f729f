"""The composer's counter: characters, encoding, parts and what is left, from the server."""

from __future__ import annotations

import re

import pytest

from campaigns.services import campaign_create
from tests.campaigns.conftest import make_list


@pytest.fixture
def sms(account):
    return campaign_create(account=account, name="Promo")


@pytest.fixture
def rcs(account):
    return campaign_create(account=account, name="Rich", channel="rcs")


def count(client, campaign, text: str, **extra) -> str:
    response = client.post(
        f"/campaigns/{campaign.pk}/counter/",
        {"text": text, **extra},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="sms-counter"')
    return re.sub(r"\s+", " ", html)


def fact(html: str, label: str) -> str:
    return re.search(rf"<dt>{label}</dt><dd>([^<]*)</dd>", html).group(1)


@pytest.mark.smoke
def test_a_short_gsm_text_is_one_part(client_logged, sms):
    html = count(client_logged, sms, "Ciao Mario, saldi fino a domenica!")
    assert "<strong>1</strong> part" in html
    assert 'data-testid="encoding">GSM-7<' in html
    assert fact(html, "Characters") == "34"
    assert fact(html, "Left in this part") == "126"


def test_161_characters_make_two_parts_of_153(client_logged, sms):
    html = count(client_logged, sms, "a" * 161)
    assert "<strong>2</strong> parts" in html
    assert fact(html, "Per part") == "153"
    assert fact(html, "Left in this part") == str(2 * 153 - 161)


def test_extension_characters_count_two(client_logged, sms):
    html = count(client_logged, sms, "a" * 159 + "€")
    assert "<strong>2</strong> parts" in html  # 161 septets
    assert "Count as two characters in GSM-7" in html
    assert '<code class="char">€</code>' in html


def test_an_emoji_switches_to_ucs2_and_is_pointed_out(client_logged, sms):
    html = count(client_logged, sms, "Saldi 🎉")
    assert 'data-testid="encoding">UCS-2<' in html
    assert "switch the whole message to UCS-2" in html
    assert "Party Popper" in html
    assert "Replace look-alikes" not in html  # no GSM-7 twin for an emoji


def test_a_curly_apostrophe_offers_the_replacement(client_logged, sms):
    html = count(client_logged, sms, "L\u2019offerta " + "x" * 70)
    assert 'data-testid="encoding">UCS-2<' in html
    assert "<strong>2</strong> parts" in html
    assert "Right Single Quotation Mark" in html
    assert "Replace look-alikes" in html
    assert "then GSM-7, 1 part" in html


def test_the_unicode_flag_forces_ucs2(client_logged, sms):
    html = count(client_logged, sms, "a" * 71, unicode="on")
    assert 'data-testid="encoding">UCS-2<' in html
    assert "<strong>2</strong> parts" in html


def test_browser_line_breaks_count_once(client_logged, sms):
    html = count(client_logged, sms, "Ciao\r\nMario")
    assert fact(html, "Characters") == "10"


def test_too_many_parts_is_flagged(client_logged, sms, settings):
    settings.SMS_MAX_PARTS = 2
    html = count(client_logged, sms, "a" * 400)
    assert "Too long: 3 parts, the most is 2." in html
    assert "is-bad" in html


def test_fields_are_left_out_of_the_fixed_count(client_logged, sms):
    html = count(client_logged, sms, "Ciao {{first_name}}!")
    assert fact(html, "Fixed text") == "6"
    assert "The fixed text is counted without the fields (first_name)" in html


def test_with_fields_the_headline_counts_real_contacts(client_logged, account, sms):
    rows = [
        {"phone": "+393330000001", "first_name": "Anna"},
        {"phone": "+393330000002", "first_name": "Łukasz"},
    ]
    make_list(account, rows)
    html = count(client_logged, sms, "x" * 60 + " {{first_name}}")
    # Anna: 65 GSM-7 characters, 1 part; Łukasz: UCS-2, 67 units, still 1 part.
    assert "<strong>1</strong> part" in html
    assert 'data-testid="encoding">GSM-7 / UCS-2<' in html
    assert "counted with the data of the first 2 contacts" in html
    html = count(client_logged, sms, "x" * 66 + " {{first_name}}")
    assert "<strong>1\u20132</strong> parts" in html  # an en dash


def test_rcs_counts_characters_up_to_1000(client_logged, rcs):
    html = count(client_logged, rcs, "x" * 1001)
    assert "<strong>1001</strong> / 1000" in html
    assert "Too long: the most is 1000 characters." in html


def test_replace_lookalikes_rewrites_the_text_unsaved(client_logged, sms):
    response = client_logged.post(
        f"/campaigns/{sms.pk}/composer/",
        {"text": "\u201cSaldi\u201d \u2013 l\u2019offerta", "action": "lookalikes"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<form id="message-form"')
    assert "&quot;Saldi&quot; - l&#x27;offerta</textarea>" in html
    assert 'data-testid="encoding">GSM-7<' in html
    sms.refresh_from_db()
    assert sms.text == ""


def test_counting_needs_post(client_logged, sms):
    assert client_logged.get(f"/campaigns/{sms.pk}/counter/").status_code == 405


def test_culprits_are_described_in_the_users_language(client_logged, sms):
    """Not Unicode's English name as text: the kind of character, translated."""
    html = count(client_logged, sms, "Auguri \U0001f381 e L\u2019offerta")
    assert "emoji or symbol" in html
    assert "curly quote" in html
    assert 'title="Wrapped Present"' in html


def test_left_in_this_part_speaks_for_the_longest_previewed_message(
    client_logged, account
):
    """With fields, the room left is the longest real message's, not the fixed text's."""
    contact_list = make_list(
        account,
        [
            {"phone": "+393330000001", "first_name": "Al"},
            {"phone": "+393330000002", "first_name": "Massimiliano"},
        ],
    )
    campaign = campaign_create(account=account, name="P", contact_list=contact_list)
    html = count(client_logged, campaign, "Ciao {{first_name}}")
    # "Ciao Massimiliano" is 17 characters of 160.
    assert fact(html, r"Left in this part \(longest message\)") == "143"


def test_replace_lookalikes_is_offered_only_when_it_changes_something(
    client_logged, sms
):
    """A curly quote in a text already UCS-2 because of an emoji changes nothing."""
    html = count(client_logged, sms, "L\u2019offerta \U0001f381")
    assert "Replace look-alikes" not in html
