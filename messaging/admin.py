"""Admin for the price list and webhooks."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from messaging.models import Price, WebhookDelivery, WebhookEndpoint
from messaging.webhooks import deliveries_requeue


@admin.register(Price)
class PriceAdmin(admin.ModelAdmin):
    list_display = ["channel", "country", "min_volume", "price", "currency"]
    list_filter = ["channel", "country"]
    list_editable = ["price"]


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

    @admin.action(description=_("Send again now"))
    def replay(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        count = deliveries_requeue(queryset)
        self.message_user(
            request,
            _("%(n)d deliveries queued again.") % {"n": count},
            messages.SUCCESS,
        )
