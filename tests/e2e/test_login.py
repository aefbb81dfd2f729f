"""A new user signs in with the demo login and lands on the dashboard."""

from __future__ import annotations

from io import StringIO

import pytest
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
    expect(page.get_by_role("heading", name="Welcome, Demo Shop")).to_be_visible()
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
