"""The simulator's reports: due outcomes, signed and posted like a provider's.

With `SIMULATOR_REPORT_URL` set (`make run` points it at the dashboard's own
delivery-report endpoint) each batch is POSTed over HTTP: the built-in
simulator's to that URL, a simulator route's to its callback URL; otherwise it
is handed to the same receiving function the endpoints call. Either way the
batch is marked reported only when the receiver took it, so a failure sends it
again (receiving is idempotent).
"""

from __future__ import annotations

import json
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from messaging.callbacks import reports_receive
from messaging.gateways.simulator.gateway import (
    BUILTIN_KEY,
    SIGNATURE_HEADER,
    SimulatorGateway,
    sign,
)
from messaging.models import SimulatorSubmission
from messaging.routes import route_spec

LEASE = timedelta(seconds=60)
# What the simulated handset network says, as a real route's reports do.
REASONS = {
    "UNDELIVERED": "Absent subscriber",
    "EXPIRED": "Validity period elapsed",
}


def _deliver(gateway_key: str, body: bytes) -> None:
    try:
        spec = route_spec(gateway_key)
    except KeyError:
        return  # the route was deleted: nobody is left to report to
    secret = SimulatorGateway(spec).settings.signingSecret or ""
    headers = {
        SIGNATURE_HEADER: sign(body, secret=secret),
        "Content-Type": "application/json",
    }
    url = settings.SIMULATOR_REPORT_URL
    if not url:
        reports_receive(gateway_key=gateway_key, body=body, headers=headers)
        return
    if gateway_key != BUILTIN_KEY:
        url = spec.callback_url
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def simulator_reports_send(*, limit: int = 5000) -> int:
    """Report the outcomes now due, oldest first; the number reported.

    The batch is leased (its due time pushed back by `LEASE`) in a short
    transaction and delivered outside it: the receiver writes to the same
    database, which SQLite would not allow while we held a write transaction.
    If delivery fails or the worker dies, the lease runs out and it goes again.
    Each route's reports go in a body of their own, signed with its secret.
    """
    now = timezone.now()
    with transaction.atomic():
        due = SimulatorSubmission.objects.filter(
            reported_at__isnull=True, report_due_at__lte=now
        ).order_by("report_due_at")
        rows = list(
            due.select_for_update(skip_locked=True).values_list(
                "id", "provider_id", "client_ref", "outcome", "gateway"
            )[:limit]
        )
        ids = [row[0] for row in rows]
        SimulatorSubmission.objects.filter(id__in=ids).update(report_due_at=now + LEASE)
    if not rows:
        return 0
    by_gateway: dict[str, list[tuple]] = {}
    for row in rows:
        by_gateway.setdefault(row[4], []).append(row)
    for gateway_key, group in by_gateway.items():
        body = json.dumps(
            {
                "reports": [
                    {
                        "messageId": provider_id,
                        "reference": str(client_ref),
                        "status": outcome,
                        "errorCode": "" if outcome == "DELIVERED" else outcome,
                        "errorReason": REASONS.get(outcome, ""),
                    }
                    for _id, provider_id, client_ref, outcome, _gw in group
                ]
            }
        ).encode()
        _deliver(gateway_key, body)
        SimulatorSubmission.objects.filter(id__in=[row[0] for row in group]).update(
            reported_at=timezone.now()
        )
    return len(rows)
