"""A fake WhatsApp Cloud API on pytest-httpserver, answering with Meta's documented bodies.

It takes template sends (`POST /{version}/{phone-number-id}/messages`) and serves
the template list (`GET /{version}/{waba-id}/message_templates`, two pages). Modes:
`not_users` (numbers answered 131026), `outage` (the next N calls get a 500),
`throttle` (the next N calls get 130429 with HTTP 429), `slow` (seconds to wait
before answering: a timeout for a short `timeoutSeconds`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

FIXTURES = Path(__file__).parent.parent / "fixtures" / "whatsapp_cloud"
VERSION = "v21.0"
PHONE_NUMBER_ID = "106540352242922"
WABA_ID = "102290129340398"
TOKEN = "EAAG-test-token"
APP_SECRET = "app-secret-for-tests"
VERIFY_TOKEN = "megafono-verify"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    """`X-Hub-Signature-256` as Meta computes it."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class FakeWhatsAppCloud:
    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.accepted: list[dict[str, Any]] = []  # bodies Meta took, in order
        self.calls = 0
        self.not_users: set[str] = set()
        self.outage = 0
        self.throttle = 0
        self.slow = 0.0
        self.template_pages = 0
        base = f"/{VERSION}"
        server.expect_request(
            f"{base}/{PHONE_NUMBER_ID}/messages", method="POST"
        ).respond_with_handler(self._send)
        server.expect_request(
            f"{base}/{WABA_ID}/message_templates", method="GET"
        ).respond_with_handler(self._templates)

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """A route's settings pointing at this fake."""
        return {
            "baseUrl": self.server.url_for("/").rstrip("/"),
            "version": VERSION,
            "phoneNumberId": PHONE_NUMBER_ID,
            "wabaId": WABA_ID,
            "accessToken": TOKEN,
            "appSecret": APP_SECRET,
            "verifyToken": VERIFY_TOKEN,
            **overrides,
        }

    @staticmethod
    def _json(body: dict[str, Any], status: int = 200) -> Response:
        return Response(json.dumps(body), status=status, mimetype="application/json")

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {TOKEN}"

    def _send(self, request: Request) -> Response:
        self.calls += 1
        if self.slow:
            time.sleep(self.slow)
        if not self._authorized(request):
            return self._json(fixture("error_190.json"), 401)
        if self.outage > 0:
            self.outage -= 1
            return self._json(fixture("error_500.json"), 500)
        if self.throttle > 0:
            self.throttle -= 1
            return self._json(fixture("error_130429.json"), 429)
        body = json.loads(request.get_data())
        if body["to"] in self.not_users:
            return self._json(fixture("error_131026.json"), 400)
        if body.get("type") == "template" and body["template"]["name"].endswith("_v9"):
            return self._json(fixture("error_132001.json"), 404)
        if body.get("type") == "text":
            return self._json(fixture("error_131047.json"), 400)
        self.accepted.append(body)
        answer = fixture("send_ok.json")
        answer["contacts"][0] = {"input": body["to"], "wa_id": body["to"]}
        answer["messages"][0]["id"] = f"wamid.FAKE{len(self.accepted):06d}"
        return self._json(answer)

    def _templates(self, request: Request) -> Response:
        if not self._authorized(request):
            return self._json(fixture("error_190.json"), 401)
        self.template_pages += 1
        if request.args.get("after") == "QVFIUmNP":
            return self._json(fixture("templates_page2.json"))
        page = fixture("templates_page1.json")
        page["paging"]["next"] = self.server.url_for(
            f"/{VERSION}/{WABA_ID}/message_templates?limit=3&after=QVFIUmNP"
        )
        return self._json(page)
