"""JSON bodies Python's parser gives up on are "Malformed JSON" (400), not a 500.

`json.loads` raises RecursionError for arrays nested past the recursion limit
and ValueError for a number past int()'s 4300-digit limit; neither is a
JSONDecodeError, which was all `json_loads` caught.
"""

from __future__ import annotations

import pytest

from campaigns.models import Campaign

V1 = "/api/partner-gateway/v1/campaigns"
MALFORMED = {"status": "fail", "data": {"body": "Malformed JSON"}}
HOSTILE = [
    "[" * 50000 + "]" * 50000,
    '{"goalContactCount": ' + "9" * 5000 + "}",
    '{"name": "C", "channel": "SMS", "goalContactCount": ' + "1" * 5000 + "}",
    "{",  # a plain JSONDecodeError: the answer the others now match
]


def _send(api, path: str, raw: str, method: str = "post"):
    return getattr(api.client, method)(
        path,
        data=raw.encode(),
        content_type="application/json",
        headers={"X-Api-Key": api.key},
    )


@pytest.fixture
def campaign_id(api, contact_list) -> int:
    body = {
        "name": "P",
        "sender": "Shop",
        "text": "Ciao",
        "contactListId": contact_list.pk,
    }
    return api.post(V1, body).json()["id"]


@pytest.mark.parametrize("raw", HOSTILE)
@pytest.mark.parametrize("action", ["calculateGoal", "confirm"])
def test_optional_bodies_answer_malformed_json(api, campaign_id, raw, action):
    response = _send(api, f"{V1}/{campaign_id}/{action}", raw)
    assert response.status_code == 400
    assert response.json() == MALFORMED
    assert Campaign.objects.get().status == "CONFIGURED"


@pytest.mark.parametrize("raw", HOSTILE)
def test_required_bodies_answer_malformed_json(api, raw):
    """The API's parser reads every other body through the same `json_loads`."""
    response = _send(api, V1, raw)
    assert response.status_code == 400
    assert response.json() == MALFORMED
    assert not Campaign.objects.exists()
