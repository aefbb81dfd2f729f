"""/api/docs: Swagger UI from our own static files, for signed-in users."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.smoke

DOCS = "/api/docs"


def _asset_urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]*)"', html)


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get(DOCS)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/api/docs"


def test_signed_in_users_get_swagger_from_our_static_files(client_logged):
    response = client_logged.get(DOCS)
    assert response.status_code == 200
    urls = _asset_urls(response.content.decode())
    assert "/static/ninja/swagger-ui-bundle.js" in urls
    assert "/static/ninja/swagger-ui.css" in urls
    assert [url for url in urls if not url.startswith("/")] == []
    policy = response["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "img-src 'self' data:" in policy  # Swagger's icons, on this page only


def test_staff_without_an_account_read_them_too(admin_client):
    assert admin_client.get(DOCS).status_code == 200


def test_api_docs_public_opens_them_to_everyone(client, db, settings):
    settings.API_DOCS_PUBLIC = True
    response = client.get(DOCS)
    assert response.status_code == 200
    assert "/static/ninja/swagger-ui-bundle.js" in _asset_urls(
        response.content.decode()
    )


def test_the_bundled_assets_are_served(client, db):
    for path in ("/static/ninja/swagger-ui-bundle.js", "/static/ninja/swagger-ui.css"):
        assert client.get(path).status_code == 200


def test_the_schema_stays_public(client, db):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert "/api/partner-gateway/v1/account" in response.json()["paths"]
