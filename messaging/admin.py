"""Admin for the price list."""

from __future__ import annotations

from django.contrib import admin

from messaging.models import Price


@admin.register(Price)
class PriceAdmin(admin.ModelAdmin):
    list_display = ["channel", "country", "min_volume", "price", "currency"]
    list_filter = ["channel", "country"]
    list_editable = ["price"]
