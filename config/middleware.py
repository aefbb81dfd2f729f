"""Answers under /api/ that Django or ninja would give as HTML, in the API's form."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

API_PREFIX = "/api/"


def api_method_not_allowed(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """A 405 from the API (a path that exists, asked with another method) in the
    seeds' error body, `Allow` kept: ninja writes a plain text one."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if (
            response.status_code == 405
            and request.path.startswith(API_PREFIX)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            allowed = response.get("Allow", "")
            body = {
                "status": "fail",
                "data": {
                    "method": f"{request.method} is not allowed here; use {allowed}"
                },
            }
            answer = HttpResponse(
                json.dumps(body), status=405, content_type="application/json"
            )
            if allowed:
                answer["Allow"] = allowed
            return answer
        return response

    return middleware
