"""A new user signs in with the demo login and lands on the dashboard; a user who
forgot the password sets a new one from the emailed link."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e


def test_demo_login_reaches_dashboard(page, screenshot):
    call_command("load_demo", stdout=StringIO())
    page.goto("/")
    expect(page).to_have_url("/accounts/login/?next=/")
    screenshot(page, "login")
    login(page, "demo", "demo")
    expect(page.get_by_role("heading", name="Hello, Demo")).to_be_visible()
    expect(page.get_by_text("1500.00 EUR").first).to_be_visible()
    screenshot(page, "dashboard")
    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Key name").fill("Shop backend")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_test_id("new-key")).to_contain_text("mgf_")
    screenshot(page, "api-keys")


def test_wrong_password_says_so(page):
    call_command("load_demo", stdout=StringIO())
    login(page, "demo", "wrong")
    expect(page.get_by_role("alert")).to_contain_text("correct username and password")


def test_repeated_failures_pause_sign_in(page, screenshot, settings):
    call_command("load_demo", stdout=StringIO())
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(page, "demo", "wrong")
    expect(
        page.get_by_role("heading", name="Too many failed sign-in attempts")
    ).to_be_visible()
    expect(page.get_by_text("Try again in 15 minutes.")).to_be_visible()
    screenshot(page, "login-locked-out")


def test_forgotten_password_is_reset_from_the_emailed_link(page, screenshot):
    call_command("load_demo", stdout=StringIO())
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot password?").click()
    page.get_by_label("Email").fill("demo@example.com")
    screenshot(page, "password-reset")
    page.get_by_role("button", name="Send me the link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    screenshot(page, "password-reset-sent")

    [message] = mail.outbox
    link = re.search(r"http://\S+/accounts/reset/\S+/", message.body).group(0)
    page.goto(link)
    page.get_by_label("New password", exact=True).fill("Nuova-password-2026")
    page.get_by_label("New password again").fill("Nuova-password-2026")
    screenshot(page, "password-reset-confirm")
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_role("heading", name="Your password is changed")).to_be_visible()
    page.get_by_role("link", name="Sign in").last.click()
    login(page, "demo", "Nuova-password-2026")
    expect(page.get_by_role("heading", name="Hello, Demo")).to_be_visible()
