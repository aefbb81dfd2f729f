"""The recurring campaigns page: the list, the create form with its schedule
picker and a preview of the next runs, and pause, resume and end."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.dates import format_when
from accounts.decorators import AccountRequest, account_required
from accounts.errors import DomainError
from accounts.forms import add_domain_errors
from campaigns.forms import RecurringForm
from campaigns.models import RecurringCampaign
from campaigns.recurrence import clean_rule, clean_timezone, upcoming, weekly_rule
from campaigns.recurring import (
    recurring_create,
    recurring_end,
    recurring_pause,
    recurring_resume,
)
from campaigns.selectors import recurring_for_account
from campaigns.views.common import go, in_account_timezone, template_for

PAGE = "campaigns/recurring.html"
OCCURRENCES_SHOWN = 5


def _picked_rule(data: QueryDict) -> str:
    """The rule the form's fields describe: the advanced one, else the picker's."""
    if rule := data.get("rrule", "").strip():
        return rule
    days = data.getlist("days")
    try:
        at = forms.TimeField().clean(data.get("at", ""))
    except forms.ValidationError:
        return ""
    return weekly_rule(days=days, at=at) if days else ""


def schedule_preview(data: QueryDict, *, default_zone: str) -> dict[str, Any]:
    """The next three runs of the schedule in `data`, or why there is none."""
    rule = _picked_rule(data)
    if not rule:
        return {"problem": _("Pick at least one day and a time.")}
    try:
        rule = clean_rule(rule)
        zone = clean_timezone(data.get("timezone") or default_zone)
    except DomainError as exc:
        return {"problem": exc.message}
    now = timezone.now()
    runs = upcoming(rule=rule, zone=zone, starts_at=now, after=now)
    if not runs:
        return {"problem": _("This schedule has no run left.")}
    return {"runs": runs, "zone": zone}


def _initial(account_zone: str) -> QueryDict:
    data = QueryDict(mutable=True)
    data.setlist("days", ["MO"])
    data.update({"at": time(8, 0).strftime("%H:%M"), "timezone": account_zone})
    return data


@account_required
@in_account_timezone
@require_http_methods(["GET", "POST"])
def recurring_page(request: AccountRequest) -> HttpResponse:
    """The account's recurring campaigns, and a form to create one."""
    account = request.account
    data = request.POST if request.method == "POST" else None
    form = RecurringForm(data, account=account)
    if form.is_bound and form.is_valid():
        try:
            recurring = recurring_create(
                account=account, actor=request.user, **form.settings()
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _created_message(recurring))
            # A query, not only a fragment: htmx's redirect to the page it is on
            # would only scroll. The new card is highlighted.
            url = reverse("campaigns:recurring")
            return go(request, f"{url}?created={recurring.pk}#recurring-{recurring.pk}")
    context = {
        "form": form,
        "created": request.GET.get("created", ""),
        "rows": recurring_for_account(account=account, occurrences=OCCURRENCES_SHOWN),
        "preview": schedule_preview(
            request.POST if form.is_bound else _initial(account.timezone),
            default_zone=account.timezone,
        ),
    }
    status = 422 if form.is_bound else 200  # still bound here means refused
    template = template_for(request, PAGE, "recurring-form")
    return render(request, template, context, status=status)


def _created_message(recurring: RecurringCampaign) -> str:
    return _("“%(name)s” is scheduled; its first run is %(when)s.") % {
        "name": recurring.name,
        "when": format_when(recurring.next_run_at, "long"),
    }


@account_required
@require_GET
def recurring_preview(request: AccountRequest) -> HttpResponse:
    """The preview partial, asked for as the schedule fields change."""
    context = {
        "preview": schedule_preview(request.GET, default_zone=request.account.timezone)
    }
    return render(request, f"{PAGE}#schedule-preview", context)


def _change(
    service: Callable[..., RecurringCampaign], done: Any
) -> Callable[[AccountRequest, int], HttpResponse]:
    """A POST-only view that calls `service` and says `done` (refusals: a flash)."""

    @account_required
    @require_POST
    def view(request: AccountRequest, pk: int) -> HttpResponse:
        try:
            recurring = service(account=request.account, pk=pk)
        except DomainError as exc:
            if exc.status_code == 404:
                raise
            messages.error(request, exc.message)
            return go(request, reverse("campaigns:recurring"))
        messages.success(request, done % {"name": recurring.name})
        return go(request, recurring.get_absolute_url())

    view.__doc__ = service.__doc__
    return view


recurring_pause_view = _change(recurring_pause, gettext_lazy("“%(name)s” is paused."))
recurring_resume_view = _change(
    recurring_resume, gettext_lazy("“%(name)s” runs again.")
)
recurring_end_view = _change(recurring_end, gettext_lazy("“%(name)s” has ended."))
