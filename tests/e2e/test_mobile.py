"""At 390 px (a phone) no page scrolls sideways; the navigation folds behind Menu."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from accounts.models import Membership
from accounts.services import account_create
from campaigns.services import campaign_create
from tests.campaigns.conftest import italian_rows, make_list
from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e

# The elements reaching past the viewport, to say what overflows.
WIDEST = """[...document.querySelectorAll("body *")]
  .filter((e) => e.getBoundingClientRect().right > 391).slice(0, 5)
  .map((e) => `${e.tagName}.${e.className}`).join(", ")"""
PAGES = [
    "/",
    "/campaigns/",
    "/campaigns/new/",
    "/contacts/",
    "/contacts/upload/",
    "/contacts/opt-outs/",
    "/account/",
    "/account/api-keys/",
]


@pytest.fixture
def campaign(transactional_db):
    """A user with a long-named list and campaign, the widths that overflowed."""
    account = account_create(name="ShopItalia", credit=Decimal("100.00"))
    user = get_user_model().objects.create_user(username="marta", password="pw-12345!")
    Membership.objects.create(user=user, account=account, role=Membership.Role.OWNER)
    contact_list = make_list(
        account, italian_rows(5), name="Clienti fidelizzati della Lombardia 2026"
    )
    return campaign_create(
        account=account,
        name="Black Friday 2026 promozione speciale clienti fidelizzati",
        contact_list=contact_list,
        text="Ciao",
    )


@pytest.fixture
def phone(browser, live_server, script_errors):
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    yield page
    context.close()
    assert not script_errors, script_errors


def test_no_page_scrolls_sideways_at_390_px(phone, campaign, screenshot, tmp_path):
    login(phone, "marta", "pw-12345!")
    for path in [
        *PAGES,
        f"/campaigns/{campaign.pk}/",
        f"/campaigns/{campaign.pk}/message/",
    ]:
        phone.goto(path)
        width = phone.evaluate("document.documentElement.scrollWidth")
        wide = phone.evaluate(WIDEST) if width > 390 else ""
        assert width <= 390, f"{path} is {width}px wide: {wide}"
    # Typing the message on a phone, the part counter is on screen.
    phone.goto(f"/campaigns/{campaign.pk}/message/")
    phone.get_by_label("Message", exact=True).fill("Ciao {{first_name}}, saldi!")
    counter = phone.get_by_test_id("counter")
    expect(counter).to_contain_text("1 part")
    box = counter.bounding_box()
    assert box is not None
    assert box["y"] < 844
    assert box["y"] + box["height"] > 0
    screenshot(phone, "mobile-composer-typing")
    # The column check of an upload: a wide table of pickers scrolls inside itself.
    export = tmp_path / "Clienti.csv"
    export.write_text(
        "Telefono,Nome,Cognome,Codice sconto,Citta di residenza,Note del negozio\n"
        "3331234567,Anna,Rossi,A1,Milano,Cliente fidelizzata dal 2019\n"
    )
    phone.goto("/contacts/upload/")
    phone.get_by_label("CSV or Excel file").set_input_files(export)
    phone.get_by_label("New list name").fill("Clienti")
    phone.get_by_role("button", name="Upload and preview").click()
    expect(phone.get_by_role("heading", name="Check the columns")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    wide = phone.evaluate(WIDEST) if width > 390 else ""
    assert width <= 390, f"the column check is {width}px wide: {wide}"
    screenshot(phone, "mobile-columns")
    phone.goto("/campaigns/")
    screenshot(phone, "mobile-campaigns")
    nav = phone.get_by_role("navigation", name="Main")
    expect(nav).to_be_hidden()
    phone.get_by_role("button", name="Menu").click()
    expect(nav).to_be_visible()
    screenshot(phone, "mobile-menu")
