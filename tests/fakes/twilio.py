"""A fake Twilio Messages API: the documented answers, errors and rate limits.

It answers `POST /2010-04-01/Accounts/{Sid}/Messages.json` as Twilio does:
201 with a message resource, 400 with Twilio's error body for the numbers in
`refusals` (Twilio's magic test numbers), 401 for wrong credentials, and on
demand 429/20429 (`throttle_next`), 500 (`mode = "outage"`, or after
`outage_after` more requests) or a hang longer than the client's timeout
(`mode = "timeout"`). Every accepted message is kept in `created`, so a test
can count submissions per number.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from messaging.gateways.base import CallbackRequest
from messaging.gateways.twilio.gateway import SIGNATURE_HEADER, signature

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "twilio"
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "twilio-test-auth-token"
# Twilio's magic "To" numbers for test credentials, and one we add for 30006.
REFUSALS = {
    "+15005550001": "21211",
    "+15005550004": "21610",
    "+15005550009": "21614",
    "+15005550006": "30006",
}


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


class FakeTwilio:
    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.mode = "ok"  # "outage" (500) or "timeout" (hangs for `hang` s)
        self.hang = 1.0
        self.latency = 0.0  # seconds each answer takes (throughput tests)
        self.outage_after: int | None = None  # go down after N more requests
        self.throttle_next = 0  # answer the next N requests with 429
        self.retry_after = "2"
        self.refusals = dict(REFUSALS)
        self.created: list[dict[str, str]] = []  # the forms of accepted messages
        self.sids: list[str] = []  # the sids given to them, in the same order
        self.requests = 0
        self.auth_headers: list[str] = []
        self.peak_in_flight = 0
        self._in_flight = 0
        self._lock = threading.Lock()
        path = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
        server.expect_request(path, method="POST").respond_with_handler(self.handle)

    @property
    def base_url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def per_to(self) -> Counter:
        """How many messages Twilio took for each number."""
        return Counter(form["To"] for form in self.created)

    def _json(self, body: dict, status: int, **headers: str) -> Response:
        return Response(
            json.dumps(body),
            status=status,
            headers=headers,
            mimetype="application/json",
        )

    def handle(self, request: Request) -> Response:
        with self._lock:
            self.requests += 1
            self._in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
        try:
            return self._answer(request)
        finally:
            with self._lock:
                self._in_flight -= 1

    def _answer(self, request: Request) -> Response:
        if self.latency:
            time.sleep(self.latency)
        expected = (
            "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        )
        auth = request.headers.get("Authorization", "")
        self.auth_headers.append(auth)
        if auth != expected:
            return self._json(fixture("error_20003.json"), 401)
        with self._lock:
            if self.throttle_next > 0:
                self.throttle_next -= 1
                return self._json(
                    fixture("error_20429.json"),
                    429,
                    **{"Retry-After": self.retry_after},
                )
            if self.outage_after is not None:
                # Counted here, under the lock, so concurrent requests cannot
                # both take the last place before the outage.
                if self.outage_after <= 0:
                    self.mode, self.outage_after = "outage", None
                else:
                    self.outage_after -= 1
        if self.mode == "timeout":
            time.sleep(self.hang)  # the client gave up long ago; nothing was taken
            return self._json(fixture("error_20500.json"), 500)
        if self.mode == "outage":
            return self._json(fixture("error_20500.json"), 500)
        form = request.form.to_dict()
        code = self.refusals.get(form.get("To", ""))
        if code:
            return self._json(fixture(f"error_{code}.json"), 400)
        resource = fixture("message_201.json")
        resource.update(
            sid="SM" + uuid.uuid4().hex,
            account_sid=ACCOUNT_SID,
            to=form["To"],
            body=form.get("Body", ""),
            messaging_service_sid=form.get("MessagingServiceSid"),
            status="queued" if "MessagingServiceSid" not in form else "accepted",
        )
        resource["from"] = form.get("From")
        with self._lock:
            self.created.append(form)
            self.sids.append(resource["sid"])
        return self._json(resource, 201)


def twilio_callback(
    url: str, params: dict[str, str], *, token: str = AUTH_TOKEN
) -> CallbackRequest:
    """A webhook as Twilio sends it: form-encoded, signed with the auth token."""
    return CallbackRequest(
        method="POST",
        url=url,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            SIGNATURE_HEADER: signature(token, url, list(params.items())),
        },
        body=urlencode(params).encode(),
    )
