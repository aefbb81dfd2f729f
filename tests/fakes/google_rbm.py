"""A fake Google RBM API on pytest-httpserver, answering with Google's documented bodies.

Like the real API it keeps the message ids it took per agent and answers a
reused one with 409 ALREADY_EXISTS, so a retried batch is harmless. Modes:
`not_capable` (phones answered 404, send and capability check alike), `outage`
(the next N sends get a 503), `throttle` (the next N sends get 429
RESOURCE_EXHAUSTED), `fail_after` (sends after the Nth get a 503: an outage
half-way through a batch), `slow` (seconds before answering).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

FIXTURES = Path(__file__).parent.parent / "fixtures" / "google_rbm"
AGENT_ID = "megafono-demo@rbm.goog"
TOKEN = "ya29.test-token"
CLIENT_TOKEN = "rbm-client-token-for-tests"
_PHONE = r"/v1/phones/(?P<phone>\+[0-9]+)"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def sign(body: bytes, key: str = CLIENT_TOKEN) -> str:
    """`X-Goog-Signature`: base64 HMAC-SHA512 of the event JSON with the client token."""
    return base64.b64encode(
        hmac.new(key.encode(), body, hashlib.sha512).digest()
    ).decode()


def event(name: str, **fields: str) -> bytes:
    """A fixture event as the JSON bytes Google signs."""
    return json.dumps({**fixture(name), **fields}).encode()


def pushed(data: bytes) -> bytes:
    """The event wrapped as a Pub/Sub push."""
    body = fixture("pubsub_push.json")
    body["message"]["data"] = base64.b64encode(data).decode()
    return json.dumps(body).encode()


class FakeGoogleRbm:
    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.taken: dict[str, dict[str, Any]] = {}  # messageId -> (phone, body)
        self.sends = 0
        self.capability_checks = 0
        self.not_capable: set[str] = set()
        self.outage = 0
        self.throttle = 0
        self.fail_after: int | None = None
        self.slow = 0.0
        server.expect_request(
            re.compile(_PHONE + "/agentMessages"), method="POST"
        ).respond_with_handler(self._send)
        server.expect_request(
            re.compile(_PHONE + "/capabilities"), method="GET"
        ).respond_with_handler(self._capabilities)

    def settings(self, **overrides: Any) -> dict[str, Any]:
        return {
            "baseUrl": self.server.url_for("/").rstrip("/"),
            "agentId": AGENT_ID,
            "token": TOKEN,
            "clientToken": CLIENT_TOKEN,
            **overrides,
        }

    @staticmethod
    def _json(body: dict[str, Any], status: int = 200) -> Response:
        return Response(json.dumps(body), status=status, mimetype="application/json")

    @staticmethod
    def _phone(request: Request) -> str:
        return re.match(_PHONE, request.path)["phone"]  # type: ignore[index]

    def _refusal(self, request: Request) -> Response | None:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._json(
                {
                    "error": {
                        "code": 401,
                        "message": "bad token",
                        "status": "UNAUTHENTICATED",
                    }
                },
                401,
            )
        if request.args.get("agentId") != AGENT_ID:
            return self._json(fixture("error_400.json"), 400)
        return None

    def _send(self, request: Request) -> Response:
        self.sends += 1
        if self.slow:
            time.sleep(self.slow)
        if (refused := self._refusal(request)) is not None:
            return refused
        if self.outage > 0:
            self.outage -= 1
            return self._json(fixture("error_500.json"), 503)
        if self.fail_after is not None and len(self.taken) >= self.fail_after:
            return self._json(fixture("error_500.json"), 503)
        if self.throttle > 0:
            self.throttle -= 1
            return self._json(fixture("error_429.json"), 429)
        phone = self._phone(request)
        if phone in self.not_capable:
            return self._json(fixture("error_404.json"), 404)
        message_id = request.args["messageId"]
        if message_id in self.taken:
            return self._json(fixture("error_409.json"), 409)
        body = json.loads(request.get_data())
        self.taken[message_id] = {"phone": phone, "body": body}
        answer = fixture("agent_message_ok.json")
        answer["name"] = f"phones/{phone}/agentMessages/{message_id}"
        answer["contentMessage"] = body["contentMessage"]
        return self._json(answer)

    def _capabilities(self, request: Request) -> Response:
        self.capability_checks += 1
        if (refused := self._refusal(request)) is not None:
            return refused
        if self._phone(request) in self.not_capable:
            return self._json(fixture("error_404.json"), 404)
        return self._json(fixture("capabilities_ok.json"))
