"""Every screen keeps working under the Content-Security-Policy, and Chromium refuses
nothing: behaviour comes from our static files, never from inline script or style."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from accounts.models import Membership
from accounts.services import account_create
from campaigns.services import campaign_create
from tests.campaigns.conftest import make_list
from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e


@pytest.fixture
def campaign(transactional_db):
    account = account_create(name="ShopItalia", credit=Decimal("100.00"))
    user = get_user_model().objects.create_user(
        username="marta", password="pw-12345!", is_staff=True, is_superuser=True
    )
    Membership.objects.create(user=user, account=account, role=Membership.Role.OWNER)
    rows = [
        {"phone": "+393330000001", "first_name": "Anna", "attributes": {"code": "A1"}}
    ]
    make_list(account, rows, name="Clienti VIP")
    return campaign_create(account=account, name="Black Friday")


def test_screens_work_with_script_from_our_files_only(
    page, screenshot, campaign, script_errors
):
    response = page.goto("/accounts/login/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    login(page, "marta", "pw-12345!")
    expect(page.get_by_role("heading", name="Hello, marta")).to_be_visible()

    # The language picker sends its form on change (once an inline onchange).
    page.get_by_label("Language").select_option("it")
    expect(page.get_by_role("link", name="Account e credito")).to_be_visible()
    page.get_by_label("Lingua").select_option("en")
    expect(page.get_by_role("link", name="Account & credit")).to_be_visible()

    # The composer: the live counter (htmx) and the field chips (once onclick).
    page.goto(f"/campaigns/{campaign.pk}/message/")
    message = page.get_by_label("Message", exact=True)
    message.fill("Ciao ")
    page.get_by_role("button", name="first_name").click()
    expect(message).to_have_value("Ciao {{first_name}}")
    expect(page.get_by_test_id("preview-row").first).to_contain_text("Ciao Anna")
    # The part meter is drawn from data-fill: 5 of 160 characters, a thin sliver.
    page.wait_for_function(
        "() => { const meter = document.querySelector('.meter');"
        " const share = meter.firstElementChild.offsetWidth / meter.offsetWidth;"
        " return share > 0 && share < 0.1; }"
    )
    message.press("End")
    message.type(" 🎉")
    expect(page.get_by_test_id("encoding")).to_have_text("UCS-2")
    expect(page.get_by_test_id("counter")).to_contain_text("emoji or symbol")
    screenshot(page, "csp-compose")

    page.goto("/contacts/upload/")
    expect(page.get_by_label("CSV or Excel file")).to_be_visible()

    page.goto(f"/admin/campaigns/campaign/{campaign.pk}/change/")
    expect(page.get_by_role("heading", name="Change campaign")).to_be_visible()
    assert script_errors == []


def test_api_docs_render_from_our_server_alone(page, live_server, campaign, screenshot):
    """Swagger UI comes from our static files, nothing from elsewhere; Try it out
    reaches the API."""
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    login(page, "marta", "pw-12345!")
    page.goto("/api/docs")
    expect(page.get_by_role("heading", name="Megafono API")).to_be_visible()
    account = "GET /api/partner-gateway/v1/account Account Get"
    page.get_by_role("button", name=account).click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    expect(page.locator(".live-responses-table")).to_contain_text("401")
    screenshot(page, "api-docs")
    assert [url for url in requested if not url.startswith(live_server.url)] == []
