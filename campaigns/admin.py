"""Admin for campaigns and recurring campaigns.

Staff see every campaign and may change one only while it is editable, through the
same service as the wizard and the API; once confirmed it is read-only. Cancelling
(which gives reserved credit back) is an action that calls `campaign_cancel`.
Recurring campaigns are read-only here; pausing, resuming and ending them are
actions that call the same services as the page and the API.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.dates import format_when
from accounts.errors import DomainError
from accounts.forms import add_domain_errors
from campaigns.models import Campaign, CampaignEvent, RecurringCampaign
from campaigns.recurring import recurring_end, recurring_pause, recurring_resume
from campaigns.sending import campaign_pause, campaign_resume, campaign_stop
from campaigns.services import campaign_cancel, campaign_update
from campaigns.states import EDITABLE
from contacts.models import ContactList

# What staff may change before confirmation; the rest is the lifecycle's to set.
EDITABLE_FIELDS = (
    "name",
    "description",
    "sender",
    "text",
    "template_id",
    "contact_list",
    "unicode",
    "transliterate_fields",
    "fallback",
    "fallback_text",
    "simulation",
    "goal_contact_count",
    "include_landlines",
)


class _Rollback(Exception):
    """Undo a trial run of the service (see `CampaignAdminForm.clean`)."""


class CampaignAdminForm(forms.ModelForm):
    """Validate with the service itself, so staff get the wizard's messages.

    `clean` runs `campaign_update` inside a transaction it then rolls back: the
    service is the only judge of what a valid campaign is, and nothing is written
    until the admin saves (which runs it again, for real, in `save_model`).
    """

    class Meta:
        model = Campaign
        fields = EDITABLE_FIELDS

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.errors or not self.changed_data:
            return cleaned
        try:
            with transaction.atomic():
                campaign_update(
                    account=self.instance.account,
                    pk=self.instance.pk,
                    **{name: cleaned.get(name) for name in self.changed_data},
                )
                raise _Rollback
        except _Rollback:
            pass
        except DomainError as exc:
            add_domain_errors(self, exc)
        return cleaned


class CampaignEventInline(admin.TabularInline):
    model = CampaignEvent
    fields = ["created_at", "from_status", "to_status", "actor", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    form = CampaignAdminForm
    list_display = [
        "name",
        "account",
        "channel",
        "status",
        "recipient_count",
        "estimated_cost",
        "reserved_amount",
        "scheduled",
        "created_at",
    ]
    list_filter = [
        "status",
        "channel",
        "simulation",
        ("recurring", admin.EmptyFieldListFilter),
    ]
    search_fields = ["name", "description", "account__name"]
    list_select_related = ["account"]
    date_hierarchy = "created_at"
    inlines = [CampaignEventInline]
    actions = [
        "cancel_campaigns",
        "pause_campaigns",
        "resume_campaigns",
        "stop_campaigns",
    ]
    readonly_fields = [
        "account",
        "channel",
        "status",
        "send_immediately",
        "scheduled",
        "total_recipients",
        "valid_recipients",
        "malformed_recipients",
        "duplicate_recipients",
        "blacklisted_recipients",
        "recipient_count",
        "estimated_parts",
        "encoding",
        "estimated_cost",
        "reserved_amount",
        "quote",
        "created_by",
        "created_at",
        "confirmed_at",
        "canceled_at",
    ]

    @admin.display(description=_("scheduled time"), ordering="scheduled_at")
    def scheduled(self, obj: Campaign) -> str:
        """Through the one formatter, which shows even a time no zone can hold."""
        return format_when(obj.scheduled_at) or "—"

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Campaigns start in the wizard or the API, which own their lifecycle."""
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is not None and obj.status not in EDITABLE:
            return [*self.readonly_fields, *EDITABLE_FIELDS]
        return list(self.readonly_fields)

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        """Offer only the campaign's own account's lists."""
        if db_field.name == "contact_list":
            campaign_id = request.resolver_match.kwargs.get("object_id")
            owner = Campaign.objects.filter(pk=campaign_id).values("account_id")
            kwargs["queryset"] = ContactList.objects.filter(account_id__in=owner)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(
        self, request: HttpRequest, obj: Campaign, form: forms.ModelForm, change: bool
    ) -> None:
        """Save through the service (the form already ran it as a trial)."""
        data = {name: form.cleaned_data.get(name) for name in form.changed_data}
        if data:
            campaign_update(account=obj.account, pk=obj.pk, actor=request.user, **data)

    def _apply(
        self,
        request: HttpRequest,
        queryset: QuerySet,
        service,
        done: Callable[[int], str],
    ) -> int:
        """Run a lifecycle service on each selected campaign; refusals are warnings."""
        count = 0
        for campaign in queryset.select_related("account"):
            try:
                service(account=campaign.account, pk=campaign.pk, actor=request.user)
            except DomainError as exc:
                self.message_user(
                    request, f"{campaign.name}: {exc.message}", messages.WARNING
                )
            else:
                count += 1
        if count:
            text = done(count) % {"n": count}
            self.message_user(request, text, messages.SUCCESS)
        return count

    @admin.action(description=_("Cancel selected campaigns (release reserved credit)"))
    def cancel_campaigns(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._apply(
            request,
            queryset,
            campaign_cancel,
            lambda n: ngettext(
                "%(n)d campaign canceled.", "%(n)d campaigns canceled.", n
            ),
        )

    @admin.action(description=_("Pause sending"))
    def pause_campaigns(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._apply(
            request,
            queryset,
            campaign_pause,
            lambda n: ngettext("%(n)d campaign paused.", "%(n)d campaigns paused.", n),
        )

    @admin.action(description=_("Resume sending"))
    def resume_campaigns(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._apply(
            request,
            queryset,
            campaign_resume,
            lambda n: ngettext(
                "%(n)d campaign resumed.", "%(n)d campaigns resumed.", n
            ),
        )

    @admin.action(description=_("Stop (cancel unsent messages, release their credit)"))
    def stop_campaigns(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._apply(
            request,
            queryset,
            campaign_stop,
            lambda n: ngettext(
                "%(n)d campaign stopped.", "%(n)d campaigns stopped.", n
            ),
        )


@admin.register(RecurringCampaign)
class RecurringCampaignAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "account",
        "status",
        "rrule",
        "timezone",
        "next_run_at",
        "last_run_at",
        "last_error",
    ]
    list_filter = ["status", "channel", "timezone"]
    search_fields = ["name", "account__name", "last_error"]
    list_select_related = ["account"]
    actions = ["pause", "resume", "end"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Created on the Recurring page or over the API, which check the schedule."""
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Read-only: a change of rule must recompute the next run (the services)."""
        return False

    def _apply(self, request: HttpRequest, queryset: QuerySet, service, done: str):
        changed = 0
        for recurring in queryset.select_related("account"):
            try:
                service(account=recurring.account, pk=recurring.pk)
            except DomainError as exc:
                self.message_user(
                    request, f"{recurring.name}: {exc.message}", messages.WARNING
                )
            else:
                changed += 1
        if changed:
            self.message_user(request, done % {"n": changed}, messages.SUCCESS)

    @admin.action(description=_("Pause selected recurring campaigns"))
    def pause(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._apply(request, queryset, recurring_pause, _("%(n)d paused."))

    @admin.action(description=_("Resume selected recurring campaigns"))
    def resume(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._apply(request, queryset, recurring_resume, _("%(n)d resumed."))

    @admin.action(description=_("End selected recurring campaigns (no more runs)"))
    def end(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._apply(request, queryset, recurring_end, _("%(n)d ended."))
