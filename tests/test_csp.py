"""Content-Security-Policy: script only from our own files, so injected markup cannot run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.smoke

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
# A <script> without src (JSON data blocks excepted), an on...= handler, hx-on, style=.
INLINE = {
    "inline script": re.compile(
        r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.IGNORECASE
    ),
    "event handler": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "hx-on": re.compile(r"\b(?:data-)?hx-on", re.IGNORECASE),
    "style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
}


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: sources for name, *sources in directives}


def test_pages_allow_script_and_style_from_our_origin_only(client_logged):
    policy = _policy(client_logged.get("/"))
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert not [s for sources in policy.values() for s in sources if "unsafe" in s]


def test_the_login_page_and_the_admin_send_it_too(client, admin_client):
    assert _policy(client.get("/accounts/login/"))["script-src"] == ["'self'"]
    assert _policy(admin_client.get("/admin/"))["script-src"] == ["'self'"]


def test_no_template_holds_inline_script_or_style():
    """The policy would silently break them: behaviour lives in static/js/."""
    found = [
        f"{path.relative_to(TEMPLATES)}:{number}: {kind}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        for kind, pattern in INLINE.items()
        if pattern.search(line)
    ]
    assert not found, found
