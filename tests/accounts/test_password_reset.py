"""Forgotten password: ask on the login page, follow the emailed link, set a new one."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

pytestmark = pytest.mark.smoke

NEW_PASSWORD = "Nuova-password-2026"


@pytest.fixture
def marta(user):
    user.email = "marta@shopitalia.it"
    user.save(update_fields=["email"])
    return user


def _reset_link(message: mail.EmailMessage) -> str:
    match = re.search(r"https?://testserver(/accounts/reset/\S+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_the_login_page_offers_a_reset(client, db):
    html = client.get("/accounts/login/").content.decode()
    assert '<a href="/accounts/password_reset/">Forgot password?</a>' in html


def test_reset_by_email_then_sign_in_with_the_new_password(client, marta, settings):
    response = client.post(
        "/accounts/password_reset/", {"email": "marta@shopitalia.it"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password_reset/done/"
    assert "Check your email" in client.get(response["Location"]).content.decode()

    [message] = mail.outbox
    assert message.to == ["marta@shopitalia.it"]
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    assert message.subject == "Reset your Megafono password"
    assert "marta" in message.body
    link = _reset_link(message)

    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done["Location"] == "/accounts/reset/done/"
    assert "Your password is changed" in client.get(done["Location"]).content.decode()

    fresh = Client()
    signed_in = fresh.post(
        "/accounts/login/", {"username": "marta", "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/"
    old = Client().post(
        "/accounts/login/", {"username": "marta", "password": "pw-12345!"}
    )
    assert old.status_code == 200  # the form again: the old password is gone


def test_the_link_works_once(client, marta):
    client.post("/accounts/password_reset/", {"email": "marta@shopitalia.it"})
    link = _reset_link(mail.outbox[0])
    form = client.get(link, follow=True)
    client.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    again = Client().get(link, follow=True).content.decode()
    assert "This link has expired or was already used" in again


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, marta):
    response = client.post("/accounts/password_reset/", {"email": "nobody@example.com"})
    assert response["Location"] == "/accounts/password_reset/done/"
    assert mail.outbox == []


def test_a_weak_new_password_is_refused_inline(client, marta):
    client.post("/accounts/password_reset/", {"email": "marta@shopitalia.it"})
    form = client.get(_reset_link(mail.outbox[0]), follow=True)
    response = client.post(
        form.redirect_chain[-1][0], {"new_password1": "123", "new_password2": "123"}
    )
    assert response.status_code == 200
    assert "This password is too short" in response.content.decode()


def test_over_https_the_link_is_https(client, marta):
    client.post(
        "/accounts/password_reset/", {"email": "marta@shopitalia.it"}, secure=True
    )
    assert "https://testserver/accounts/reset/" in mail.outbox[0].body


def test_in_italian_the_email_is_italian(client, marta):
    client.post(
        "/accounts/password_reset/",
        {"email": "marta@shopitalia.it"},
        HTTP_ACCEPT_LANGUAGE="it",
    )
    assert mail.outbox[0].subject == "Reimposta la password di Megafono"
