"""A fake JSON SMS carrier ("Acme SMS"), the kind an `http-json` route describes.

`POST /v1/sms` takes one message (`destination`, `source`, `content.text`,
`clientRef`, `notifyUrl`) and answers 201 `{"data": {"messageId"}}`;
`POST /v1/sms/batch` takes `{"messages": [...]}` and answers 200 with one
result per item, in order, refused items carrying `error.code`. Both need
`X-Api-Key`. Like the Twilio fake it has outage (500), hang (`mode =
"timeout"`), 429 (`throttle_next`) and go-down-later (`outage_after` more requests) modes, plus throttling said in a 200 body (`throttle_in_body`), and
counts what it took per `clientRef` and per destination. Its callbacks are
signed `X-Acme-Signature: sha256=<hex HMAC-SHA256(secret, body)>`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import Counter
from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from messaging.gateways.base import CallbackRequest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "http_json"
API_KEY = "acme-secret-key"
SIGNING_SECRET = "acme-webhook-secret"
BAD_NUMBERS = {"+390000000000"}


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


class FakeAcme:
    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.mode = "ok"  # "outage" or "timeout"
        self.hang = 1.0
        self.outage_after: int | None = None
        self.throttle_next = 0
        self.throttle_in_body = 0
        self.retry_after = "2"
        self.taken: list[dict] = []  # every accepted item, as received
        self.bodies: list[dict] = []  # every request body
        self.headers: list[dict[str, str]] = []
        self.requests = 0
        self._ids = 0
        self._lock = threading.Lock()
        server.expect_request("/v1/sms", method="POST").respond_with_handler(
            self.handle_one
        )
        server.expect_request("/v1/sms/batch", method="POST").respond_with_handler(
            self.handle_batch
        )

    def url(self, path: str) -> str:
        return self.server.url_for(path)

    def per_reference(self) -> Counter:
        return Counter(item["clientRef"] for item in self.taken)

    def per_destination(self) -> Counter:
        return Counter(item["destination"] for item in self.taken)

    def _json(self, body: dict, status: int, **headers: str) -> Response:
        return Response(
            json.dumps(body),
            status=status,
            headers=headers,
            mimetype="application/json",
        )

    def _trouble(self, request: Request) -> Response | None:
        """The answer when something other than the message decides it."""
        with self._lock:
            self.requests += 1
            self.headers.append(dict(request.headers))
            if request.headers.get("X-Api-Key") != API_KEY:
                return self._json({"error": {"code": "AUTH"}}, 401)
            if self.throttle_next > 0:
                self.throttle_next -= 1
                return self._json(
                    fixture("throttled.json"), 429, **{"Retry-After": self.retry_after}
                )
            if self.throttle_in_body > 0:
                self.throttle_in_body -= 1
                return self._json(fixture("throttled.json"), 200)
            if self.outage_after is not None:
                # Counted here, under the lock, so concurrent requests cannot
                # both take the last place before the outage.
                if self.outage_after <= 0:
                    self.mode, self.outage_after = "outage", None
                else:
                    self.outage_after -= 1
        if self.mode == "timeout":
            time.sleep(self.hang)
            return self._json(fixture("outage.json"), 500)
        if self.mode == "outage":
            return self._json(fixture("outage.json"), 500)
        return None

    def _take(self, item: dict) -> dict:
        """One item's result: refused for a bad number, else a new id."""
        if item.get("destination") in BAD_NUMBERS:
            return {"state": "REJECTED", **fixture("refused.json")}
        with self._lock:
            self._ids += 1
            self.taken.append(item)
            return {"messageId": f"ACME-{self._ids:04d}", "state": "ACCEPTED"}

    def handle_one(self, request: Request) -> Response:
        trouble = self._trouble(request)
        if trouble:
            return trouble
        item = request.get_json()
        self.bodies.append(item)
        result = self._take(item)
        if result["state"] == "REJECTED":
            return self._json(fixture("refused.json"), 400)
        return self._json({"data": result}, 201)

    def handle_batch(self, request: Request) -> Response:
        trouble = self._trouble(request)
        if trouble:
            return trouble
        body = request.get_json()
        self.bodies.append(body)
        return self._json({"results": [self._take(i) for i in body["messages"]]}, 200)


def acme_callback(
    url: str, body: dict, *, secret: str = SIGNING_SECRET
) -> CallbackRequest:
    """A delivery callback as the carrier posts it: JSON, HMAC-SHA256 signed."""
    raw = json.dumps(body).encode()
    mac = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return CallbackRequest(
        method="POST",
        url=url,
        headers={
            "Content-Type": "application/json",
            "X-Acme-Signature": f"sha256={mac}",
        },
        body=raw,
    )
