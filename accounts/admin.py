"""Admin for staff: accounts with their ledger, a top-up form, memberships and keys.

Balances are read-only here: staff change credit only through the top-up and
adjustment form, which writes a ledger row like every other movement.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.credit import credit_adjust, credit_top_up
from accounts.errors import DomainError
from accounts.models import Account, ApiKey, LedgerEntry, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class LedgerInline(admin.TabularInline):
    model = LedgerEntry
    extra = 0
    can_delete = False
    ordering = ["-id"]
    fields = [
        "created_at",
        "kind",
        "amount",
        "balance_after",
        "reference",
        "actor",
        "note",
    ]
    readonly_fields = fields
    max_num = 0
    show_change_link = False

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("actor")


class CreditForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Movement"),
        choices=[("top_up", _("Top-up")), ("adjustment", _("Adjustment (signed)"))],
    )
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=4)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("kind") == "top_up" and data.get("amount", Decimal(1)) <= 0:
            self.add_error("amount", _("A top-up must be positive."))
        return data


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "balance",
        "reserved",
        "currency",
        "created_at",
        "credit_link",
    ]
    search_fields = ["name"]
    readonly_fields = ["balance", "reserved", "created_at"]
    inlines = [MembershipInline, LedgerInline]

    @admin.display(description=_("Credit"))
    def credit_link(self, obj: Account) -> str:
        url = reverse("admin:accounts_account_credit", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Top up / adjust"))

    def get_urls(self):
        extra = [
            path(
                "<int:pk>/credit/",
                self.admin_site.admin_view(self.credit_view),
                name="accounts_account_credit",
            )
        ]
        return extra + super().get_urls()

    def credit_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Top up or adjust an account's credit through the ledger."""
        account = get_object_or_404(Account, pk=pk)
        if not self.has_change_permission(request, account):
            return redirect("admin:index")
        form = CreditForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            service = credit_top_up if data["kind"] == "top_up" else credit_adjust
            try:
                service(
                    account=account,
                    amount=data["amount"],
                    actor=request.user,
                    note=data["note"],
                )
            except DomainError as exc:
                form.add_error("amount", exc.message)
            else:
                self.message_user(request, _("Credit updated."), messages.SUCCESS)
                return redirect("admin:accounts_account_change", pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Credit for %(name)s") % {"name": account.name},
            "account": account,
            "form": form,
            "opts": self.model._meta,
        }
        return render(request, "admin/accounts/credit.html", context)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "account",
        "kind",
        "amount",
        "balance_after",
        "reference",
        "actor",
    ]
    list_filter = ["kind"]
    search_fields = ["account__name", "reference", "note"]
    list_select_related = ["account", "actor"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = [
        "prefix",
        "name",
        "account",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["prefix", "name", "account__name"]
    fields = [
        "account",
        "name",
        "prefix",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    readonly_fields = [
        "account",
        "name",
        "prefix",
        "created_by",
        "created_at",
        "last_used_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return (
            False  # keys are created in the dashboard, where the secret is shown once
        )


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "account", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email", "account__name"]
    autocomplete_fields = ["user", "account"]
