"""Admin for the price list, the accounts' routes, their replies and templates.

Routes are created and their settings changed on the Channels page or over the
API (both validate through the kind's settings model); here staff see them,
turn them off, reorder them or lift a demotion. Secrets are never shown: only
which ones are set, with their last four characters.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from messaging.models import InboundMessage, Price, Route, WhatsAppTemplate
from messaging.routes import is_demoted


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
