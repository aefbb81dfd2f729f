"""Admin for the price list and the synced WhatsApp templates."""

from __future__ import annotations

from django.contrib import admin

from messaging.models import Price, WhatsAppTemplate


@admin.register(Price)
class PriceAdmin(admin.ModelAdmin):
    list_display = ["channel", "country", "min_volume", "price", "currency"]
    list_filter = ["channel", "country"]
    list_editable = ["price"]


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
