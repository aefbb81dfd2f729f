"""Webhook URLs whose port or host cannot be read, or that lead to a private
IPv4 address through IPv6, are refused: a 400 on the API, a form error on the page.

`urlsplit(url).port` raises ValueError for `:99999` or `:abc`, and `urlsplit`
itself for a broken `[...]` host; NAT64, 6to4 and IPv4-mapped addresses embed
an IPv4 address that Python's `is_global` does not look at.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from messaging.gateways.http import UnsafeURL, url_check
from messaging.models import WebhookEndpoint

HOOKS = "/api/partner-gateway/v1/webhooks"
MALFORMED = [
    "https://example.com:99999/h",
    "https://example.com:abc/h",
    "https://example.com:-1/h",
    "http://[1:2/",
    "http://[::1]:80]/",
]
EMBEDDING_PRIVATE = [
    "http://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
    "http://[64:ff9b::a00:5]/hook",  # NAT64 of 10.0.0.5
    "http://[64:ff9b:1::7f00:1]/",  # NAT64's local-use prefix
    "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    "http://[2002:a9fe:a9fe::1]/latest/meta-data",  # 6to4 of 169.254.169.254
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped
]


@pytest.fixture
def public_only(settings):
    settings.MEGAFONO_ALLOW_PRIVATE_URLS = False


@pytest.mark.parametrize("allow_private", [True, False])
@pytest.mark.parametrize("url", MALFORMED)
def test_unreadable_ports_and_hosts_are_unsafe(settings, url, allow_private):
    settings.MEGAFONO_ALLOW_PRIVATE_URLS = allow_private
    with pytest.raises(UnsafeURL, match="malformed"):
        url_check(url)


@pytest.mark.parametrize("url", EMBEDDING_PRIVATE)
def test_ipv6_embedding_a_private_ipv4_is_unsafe(public_only, url):
    with pytest.raises(UnsafeURL, match="private, loopback or link-local"):
        url_check(url)


@pytest.mark.parametrize(
    "url",
    ["http://[64:ff9b::808:808]/hook", "http://[2002:808:808::1]/hook"],
)
def test_ipv6_embedding_a_public_ipv4_is_kept(public_only, url):
    """DNS64 answers 64:ff9b::/96 for every IPv4-only host: those must still work."""
    assert url_check(url) == url


@pytest.mark.parametrize("url", MALFORMED)
def test_the_api_answers_400_for_malformed_urls(api, url):
    response = api.post(HOOKS, {"url": url, "events": ["message.status"]})
    assert response.status_code == 400
    assert response.json() == {
        "status": "fail",
        "data": {"url": "the URL is malformed: its host or port cannot be read"},
    }
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("url", EMBEDDING_PRIVATE)
def test_the_api_answers_400_for_private_ipv4_in_ipv6(api, public_only, url):
    response = api.post(HOOKS, {"url": url, "events": ["message.status"]})
    assert response.status_code == 400
    assert "private" in response.json()["data"]["url"]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("url", [*MALFORMED, *EMBEDDING_PRIVATE])
def test_the_page_shows_a_form_error(client_logged, public_only, url):
    response = client_logged.post(
        reverse("messaging:webhooks"),
        {"url": url, "events": ["message.status"], "batch_size": 1},
    )
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["url"]
    assert not WebhookEndpoint.objects.exists()


def test_the_page_names_a_port_out_of_range(client_logged):
    """Django's URLField lets a five-digit port through; `url_check` refuses it."""
    response = client_logged.post(
        reverse("messaging:webhooks"),
        {"url": MALFORMED[0], "events": ["message.status"], "batch_size": 1},
    )
    assert response.status_code == 422
    assert response.context["form"].errors["url"] == [
        "the URL is malformed: its host or port cannot be read"
    ]
