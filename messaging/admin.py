"""Admin for the price list, the accounts' routes, replies, templates and webhooks.

Routes are created and their settings changed on the Channels page or over the
API (both validate through the kind's settings model); here staff see them,
turn them off, reorder them or lift a demotion. Secrets are never shown: only
which ones are set, with their last four characters.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from messaging.models import (
    InboundMessage,
    Price,
    Route,
    WebhookDelivery,
    WebhookEndpoint,
    WhatsAppTemplate,
)
from messaging.routes import is_demoted
from messaging.webhooks import deliveries_requeue


@admin.register(Price)
class PriceAdmin(admin.ModelAdmin):
    list_display = ["channel", "country", "min_volume", "price", "currency"]
    list_filter = ["channel", "country"]
    list_editable = ["price"]


@admin.register(Route)
class RouteAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "account",
        "kind",
        "channel",
        "is_default",
        "priority",
        "enabled",
        "demoted",
    ]
    list_filter = ["kind", "channel", "enabled"]
    search_fields = ["name", "account__name"]
    fields = [
        "account",
        "kind",
        "channel",
        "name",
        "settings",
        "secrets",
        "rate_limit",
        "is_default",
        "priority",
        "enabled",
        "demoted_until",
    ]
    readonly_fields = [
        "account",
        "kind",
        "channel",
        "name",
        "settings",
        "secrets",
        "rate_limit",
        "is_default",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the Channels page and the API validate settings

    @admin.display(description=_("secrets"))
    def secrets(self, route: Route) -> str:
        return ", ".join(
            f"{name} (…{hint})" if hint else name
            for name, hint in sorted(route.secret_hints.items())
        )

    @admin.display(boolean=True, description=_("demoted"))
    def demoted(self, route: Route) -> bool:
        return is_demoted(route)


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = ["phone", "text", "keyword", "account", "gateway", "received_at"]
    list_filter = ["keyword"]
    search_fields = ["phone", "text"]
    readonly_fields = [f.name for f in InboundMessage._meta.fields]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Staff see and pause endpoints; secrets are never shown, endpoints are made
    by their account (dashboard or API), where the secret is shown once."""

    list_display = ["url", "account", "events", "batch_size", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "account__name"]
    list_select_related = ["account"]
    fields = ["account", "url", "events", "batch_size", "is_active", "created_at"]
    readonly_fields = ["account", "url", "events", "batch_size", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log across accounts, read-only, with a replay action."""

    list_display = [
        "id",
        "endpoint",
        "status",
        "event_count",
        "attempts",
        "response_code",
        "latency_ms",
        "last_attempt_at",
        "next_attempt_at",
    ]
    list_filter = ["status"]
    search_fields = ["endpoint__url"]
    list_select_related = ["endpoint"]
    actions = ["replay"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(WhatsAppTemplate)
class WhatsAppTemplateAdmin(admin.ModelAdmin):
    """Read-only: templates are Meta's, changed only by a sync."""

    list_display = ["name", "language", "status", "category", "account", "route_key"]
    list_filter = ["status", "category", "language"]
    search_fields = ["name", "account__name"]
    readonly_fields = [f.name for f in WhatsAppTemplate._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Send again now"))
    def replay(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        count = deliveries_requeue(queryset)
        self.message_user(
            request,
            _("%(n)d deliveries queued again.") % {"n": count},
            messages.SUCCESS,
        )
