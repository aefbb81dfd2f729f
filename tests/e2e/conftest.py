"""Playwright on Debian's Chromium against Django's live server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# The sync Playwright API runs an event loop in this thread (playwright-pytest #29).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: `make test` installs it")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, script_errors) -> Iterator:
    """A fresh browser tab; any e2e test fails on a CSP refusal or a script error."""
    context = browser.new_context(
        base_url=live_server.url,
        locale="en-US",
        viewport={"width": 1280, "height": 900},
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("console", lambda message: _note_csp_violation(message, script_errors))
    page.on("pageerror", lambda error: script_errors.append(f"{page.url}: {error}"))
    yield page
    context.close()
    assert not script_errors, script_errors


@pytest.fixture
def script_errors() -> list[str]:
    """What Chromium refused because of the Content-Security-Policy, and uncaught
    exceptions of our scripts: either means a page lost some of its behaviour."""
    return []


def _note_csp_violation(message, errors: list[str]) -> None:
    if message.type == "error" and "Content Security Policy" in message.text:
        errors.append(f"{message.location['url']}: {message.text}")


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> None:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return take


def login(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def htmx_settled(page) -> None:
    """Wait until htmx has finished a request and wired what it swapped in.

    htmx attaches its handlers to new content only when the swap settles
    (20 ms later); a robot that changes a control inside that window goes
    unheard, which no marketer's hand is quick enough to do.
    """
    page.wait_for_function(
        "() => !document.querySelector("
        "'.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    )
