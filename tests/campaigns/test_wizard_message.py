"""Wizard step 2: sender and text are saved; fields are offered and previewed."""

from __future__ import annotations

import pytest

from campaigns.services import campaign_create
from tests.campaigns.conftest import make_list

ROWS = [
    {"phone": "+393330000001", "first_name": "Anna", "attributes": {"Code": "A1"}},
    {"phone": "+393330000002", "first_name": "Łukasz", "attributes": {"Code": "B2"}},
    {"phone": "+393330000003", "first_name": "Marco"},
    {"phone": "", "raw": "abc", "status": "invalid", "reason": "not_a_number"},
]


@pytest.fixture
def draft(account):
    return campaign_create(account=account, name="Promo")


@pytest.fixture
def codes(account):
    return make_list(account, ROWS, name="Codici")


@pytest.mark.smoke
def test_message_page_shows_composer_and_counter(client_logged, draft):
    response = client_logged.get(f"/campaigns/{draft.pk}/message/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_text"' in html
    assert 'id="sms-counter"' in html
    assert 'hx-trigger="input changed delay:300ms"' in html


def test_save_message_and_go_on(client_logged, draft, account):
    response = client_logged.post(
        f"/campaigns/{draft.pk}/message/",
        {"sender": "ShopItalia", "text": "Saldi!\r\nFino a domenica"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/campaigns/{draft.pk}/recipients/"
    draft.refresh_from_db()
    assert draft.sender == "ShopItalia"
    assert draft.text == "Saldi!\nFino a domenica"


def test_account_default_sender_is_proposed(client_logged, draft, account):
    account.default_sender = "Negozio"
    account.save()
    html = client_logged.get(f"/campaigns/{draft.pk}/message/").content.decode()
    assert 'value="Negozio"' in html


def test_invalid_sender_is_the_services_inline_error(client_logged, draft):
    response = client_logged.post(
        f"/campaigns/{draft.pk}/message/",
        {"sender": "ShopItaliaXYZ", "text": "Ciao"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "Sender must be up to 11 letters or digits" in response.content.decode()
    draft.refresh_from_db()
    assert draft.text == ""


def test_empty_text_is_refused(client_logged, draft):
    response = client_logged.post(
        f"/campaigns/{draft.pk}/message/", {"text": "  "}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert "Write the message." in response.content.decode()


def test_too_long_sms_is_refused(client_logged, draft, settings):
    settings.SMS_MAX_PARTS = 2
    response = client_logged.post(
        f"/campaigns/{draft.pk}/message/", {"text": "a" * 400}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert "The message needs 3 SMS parts; the maximum is 2." in (
        response.content.decode()
    )


def test_whatsapp_needs_a_template_or_text(client_logged, account):
    campaign = campaign_create(account=account, name="WA", channel="whatsapp")
    response = client_logged.post(
        f"/campaigns/{campaign.pk}/message/", {"sender": ""}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert "Choose an approved template or write the message." in (
        response.content.decode()
    )
    ok = client_logged.post(
        f"/campaigns/{campaign.pk}/message/",
        {"template_id": "black_friday_v2", "fallback": "on"},
    )
    assert ok.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.template_id, campaign.fallback) == ("black_friday_v2", True)


def test_list_fields_are_offered(client_logged, draft, codes):
    html = client_logged.get(f"/campaigns/{draft.pk}/message/").content.decode()
    for name in ("first_name", "last_name", "phone", "code"):
        assert f'data-token="{{{{{name}}}}}"' in html


def test_preview_renders_real_contacts_with_their_own_parts(
    client_logged, draft, codes
):
    response = client_logged.post(
        f"/campaigns/{draft.pk}/preview/",
        {"text": "Ciao {{first_name}}, codice {{code}}", "preview_list": codes.pk},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="message-preview"')
    assert "Ciao Anna, codice A1" in html
    assert "Ciao Łukasz, codice B2" in html
    assert "1 part · UCS-2" in html  # Ł is not GSM-7
    assert "No value for: code" in html  # Marco has no code
    assert "abc" not in html  # invalid rows are not previewed


def test_preview_transliterates_when_asked(client_logged, draft, codes):
    response = client_logged.post(
        f"/campaigns/{draft.pk}/preview/",
        {
            "text": "Ciao {{first_name}}",
            "preview_list": codes.pk,
            "transliterate_fields": "on",
        },
    )
    html = response.content.decode()
    assert "Ciao Lukasz" in html
    assert "UCS-2" not in html


def test_preview_ignores_another_accounts_list(client_logged, draft, other_account):
    foreign = make_list(other_account, ROWS[:1], name="Foreign")
    response = client_logged.post(
        f"/campaigns/{draft.pk}/preview/",
        {"text": "Ciao {{first_name}}", "preview_list": foreign.pk},
    )
    assert "Anna" not in response.content.decode()


def test_a_field_the_list_lacks_is_named_with_what_it_likely_means(
    client_logged, draft, codes
):
    """{{nome}} is how an Italian writes the first name (uploads read a "Nome"
    column as first_name): the preview says so while typing."""
    response = client_logged.post(
        f"/campaigns/{draft.pk}/preview/",
        {
            "text": "Ciao {{nome}}, {{codice}} {{code}} {{zzz}}",
            "preview_list": codes.pk,
        },
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert (
        "The list has no field <code>{{nome}}</code>: did you mean "
        "<code>{{first_name}}</code>?" in html
    )
    assert (
        "The list has no field <code>{{codice}}</code>: did you mean "
        "<code>{{code}}</code>?" in html
    )
    assert "<code>{{zzz}}</code>: every recipient would get it empty." in html
    assert "{{code}}</code>:" not in html  # a field the list has is not named
