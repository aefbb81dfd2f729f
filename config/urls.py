"""URL configuration: dashboard pages, Django admin, the JSON API."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from config import api as api_module
from dashboard import views as dashboard_views
from messaging import link_views


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness probe for load balancers."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("", dashboard_views.home, name="dashboard"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("account/", include("accounts.urls")),
    path("contacts/", include("contacts.urls")),
    path("campaigns/", include("campaigns.urls")),
    path("channels/", include("dashboard.urls")),
    path("webhooks/", include("messaging.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", api_module.api.urls),
    path("healthz", healthz, name="healthz"),
    path("l/<str:code>", link_views.short_link, name="short_link"),
]


def handler404(request: HttpRequest, exception: Exception) -> HttpResponse:
    """JSON for the API, Django's page for everything else."""
    if request.path.startswith("/api/"):
        return api_module.api_not_found(request, exception)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)
