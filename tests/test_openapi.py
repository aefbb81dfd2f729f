"""The published API schema documents every operation's error answers."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ApiClient

pytestmark = pytest.mark.smoke


def test_every_operation_documents_401_and_its_other_4xx(db):
    """401 everywhere (403 will do for a provider's signed, unkeyed callback);
    400 or 404 wherever a body or an id can be wrong."""
    schema = ApiClient(None).get("/api/openapi.json").json()
    undocumented = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            takes_input = "requestBody" in operation or any(
                p["in"] == "path" for p in operation.get("parameters", [])
            )
            refused = {"401"} if operation.get("security") else {"401", "403"}
            if not codes & refused or (takes_input and not codes & {"400", "404"}):
                undocumented.append(f"{method.upper()} {path}: {sorted(codes)}")
    assert not undocumented, undocumented


def test_every_documented_path_is_under_the_partner_gateway(db):
    """...or the guide's transactional family, which it prints outside it."""
    paths = ApiClient(None).get("/api/openapi.json").json()["paths"]
    assert paths
    families = ("/api/partner-gateway/v1/", "/api/message-server/")
    assert all(p.startswith(families) for p in paths)
    assert "/api/message-server/sms/send" in paths


def test_no_object_in_the_schema_repeats_a_key(db):
    """Python's json keeps the last of two keys; Swagger UI's parser refuses the
    whole schema ("duplicated mapping key") and /api/docs shows nothing."""
    repeated: list[str] = []

    def keep_pairs(pairs: list[tuple[str, object]]) -> dict:
        keys = [key for key, _value in pairs]
        repeated.extend(key for key in set(keys) if keys.count(key) > 1)
        return dict(pairs)

    body = ApiClient(None).get("/api/openapi.json").content
    json.loads(body, object_pairs_hook=keep_pairs)
    assert repeated == []
