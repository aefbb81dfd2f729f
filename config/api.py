"""The JSON API: one NinjaAPI, the seeds' error bodies, two URL families.

Every route lives under `/api/partner-gateway/v1/` (UC-006) and again under the
short `/api/` family of the campaign guide; only the first is in the OpenAPI schema.
Errors always use the seeds' form: `{"status": "fail", "data": {field: message}}`
for 4xx and `{"status": "error", "message": ...}` for 5xx.
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import Any

from csp.constants import SELF
from csp.decorators import csp_update
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder

from accounts.api import ApiKeyAuth
from accounts.api import router as account_router
from accounts.api_errors import camel
from accounts.errors import DomainError, TooManyAttempts
from campaigns.api import router as campaign_router
from campaigns.gateways_api import router as gateways_router
from campaigns.recurring_api import router as recurring_router
from contacts.api import optout_router
from contacts.api import router as contact_router
from messaging.api import router as messaging_router
from messaging.replies_api import router as replies_router
from messaging.single_api import router as single_router
from messaging.templates_api import router as templates_router
from messaging.webhooks_api import router as webhooks_router

logger = logging.getLogger(__name__)


class MoneyEncoder(NinjaJSONEncoder):
    """Write Decimals as JSON numbers (344.09), as the seeds show, not as strings.

    Amounts are already rounded by the services; a float keeps their shortest
    decimal form exactly for any amount a campaign can reach.
    """

    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal):
            return float(o)
        return super().default(o)


class Renderer(JSONRenderer):
    encoder_class = MoneyEncoder


def fail(request: HttpRequest, data: dict[str, str], status: int) -> HttpResponse:
    """The seeds' 4xx body."""
    return api.create_response(request, {"status": "fail", "data": data}, status=status)


def _field_of(error: dict) -> str:
    location = [str(part) for part in error.get("loc", ()) if not isinstance(part, int)]
    # ("body", "payload", "name") -> "name"; a whole-body error -> "body"
    names = [
        part for part in location if part not in {"body", "payload", "query", "path"}
    ]
    return names[-1] if names else (location[0] if location else "body")


class SignedInSwagger(Swagger):
    """Swagger UI for signed-in users (any dashboard user or staff), or everyone
    with `API_DOCS_PUBLIC`.

    With "ninja" in INSTALLED_APPS ninja renders its bundled copy from our static
    files, no CDN (works offline, and its page has no inline script for the CSP to
    refuse). Only the page is guarded: /api/openapi.json stays public for
    partners' tools. Swagger's stylesheet draws its icons from data: URLs, which
    the policy allows on this page alone.
    """

    def render_page(
        self, request: HttpRequest, api: NinjaAPI, **kwargs: Any
    ) -> HttpResponse:
        if not (settings.API_DOCS_PUBLIC or request.user.is_authenticated):
            return redirect_to_login(request.get_full_path())
        render = csp_update({"img-src": [SELF, "data:"]})(super().render_page)
        return render(request, api, **kwargs)


api = NinjaAPI(
    title="Megafono API",
    version="1",
    description=(
        "Bulk SMS, RCS and WhatsApp campaigns. Authenticate with the `X-Api-Key` "
        "header. Every path also answers under the short `/api/` prefix "
        "(`/api/campaigns/...`)."
    ),
    auth=ApiKeyAuth(),
    renderer=Renderer(),
    urls_namespace="api",
    docs=SignedInSwagger(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    data: dict[str, str] = {}
    for error in exc.errors:
        data.setdefault(_field_of(error), str(error.get("msg", "Invalid value")))
    return fail(request, data or {"body": "Invalid request"}, 400)


@api.exception_handler(AuthenticationError)
def on_authentication_error(
    request: HttpRequest, exc: AuthenticationError
) -> HttpResponse:
    return fail(request, {"apiKey": "Missing, invalid or revoked API key"}, 401)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    """The seeds' body; domain field names become the API's camelCase (handlers
    rename the fields the documents spell otherwise: `errors_named_as_sent`)."""
    data = {camel(field): message for field, message in exc.data.items()}
    return fail(request, data, exc.status_code)


@api.exception_handler(TooManyAttempts)
def on_too_many_attempts(request: HttpRequest, exc: TooManyAttempts) -> HttpResponse:
    response = fail(request, exc.data, exc.status_code)
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return fail(request, {"id": "Not found"}, 404)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code >= 500:
        return api.create_response(
            request, {"status": "error", "message": str(exc)}, status=exc.status_code
        )
    return fail(request, {"detail": str(exc)}, exc.status_code)


@api.exception_handler(Exception)
def on_server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s %s", request.method, request.path)
    return api.create_response(
        request, {"status": "error", "message": "Internal server error"}, status=500
    )


def api_not_found(
    request: HttpRequest, exception: Exception | None = None
) -> HttpResponse:
    """A JSON 404 for unknown paths under /api/ (Django's HTML page elsewhere)."""
    body = json.dumps({"status": "fail", "data": {"path": "Not found"}})
    return HttpResponse(body, status=404, content_type="application/json")


# Each app's DualRouter: the documented family first, then the short aliases.
ROUTERS = [
    account_router,
    contact_router,
    optout_router,
    campaign_router,
    messaging_router,
    recurring_router,
    gateways_router,
    replies_router,
    templates_router,
    webhooks_router,
]
for router in ROUTERS:
    api.add_router("/partner-gateway/v1/", router.v1)
for router in ROUTERS:
    api.add_router("/", router.short)
# The guide's transactional endpoint lives outside both families.
api.add_router("/message-server/", single_router)
