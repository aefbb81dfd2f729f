"""Canary numbers past float's range are a 400, not an OverflowError (a 500).

JSON's `1e999` parses as infinity, and `int(inf)` overflows.
"""

from __future__ import annotations

import pytest

from accounts.errors import DomainError
from campaigns.canary import canary_clean
from campaigns.models import Campaign

V1 = "/api/partner-gateway/v1/campaigns"
INFINITE = [
    '{"minRecipients": 1e999}',
    '{"holdMinutes": 1e999}',
    '{"holdMinutes": -1e999}',
    '{"minRecipients": -1e999}',
]


def _post(api, path: str, canary: str, method: str = "post"):
    raw = f'{{"name": "C", "channel": "SMS", "canary": {canary}}}'
    return getattr(api.client, method)(
        path,
        data=raw.encode(),
        content_type="application/json",
        headers={"X-Api-Key": api.key},
    )


@pytest.mark.parametrize("field", ["minRecipients", "holdMinutes"])
@pytest.mark.parametrize("value", [float("inf"), float("-inf")])
def test_infinite_whole_numbers_are_refused(field, value):
    with pytest.raises(DomainError, match="Canary fields are numbers"):
        canary_clean({field: value})


@pytest.mark.parametrize("canary", INFINITE)
def test_create_answers_400(api, canary):
    response = _post(api, V1, canary)
    assert response.status_code == 400
    assert response.json() == {
        "status": "fail",
        "data": {"canary": "Canary fields are numbers."},
    }
    assert not Campaign.objects.exists()


@pytest.mark.parametrize("canary", INFINITE)
def test_update_answers_400(api, canary):
    created = api.post(V1, {"name": "C", "canary": True}).json()
    response = _post(api, f"{V1}/{created['id']}", canary, method="put")
    assert response.status_code == 400
    assert response.json()["data"] == {"canary": "Canary fields are numbers."}
    assert Campaign.objects.get().canary["minRecipients"] == 200
