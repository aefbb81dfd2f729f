"""What every campaign view shares: loading the campaign, time zone, redirects."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django import forms
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect

from accounts.decorators import AccountRequest
from accounts.errors import DomainError
from accounts.forms import add_domain_errors
from campaigns.forms import changes
from campaigns.models import Campaign
from campaigns.selectors import campaign_get
from campaigns.services import campaign_update


def load_campaign(request: AccountRequest, pk: int) -> Campaign:
    """The current account's campaign; any other id is a plain 404 page
    (`DomainErrorMiddleware` turns the selector's NotFound into it)."""
    return campaign_get(account=request.account, pk=pk)


def in_account_timezone(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """Run the view in the account's time zone.

    A schedule typed as "29/11 08:00" means 08:00 where the account is, whatever the
    server's zone; forms parse and templates print times in the current zone.
    Put it under `account_required`, which guarantees `request.account`.
    """

    @wraps(view)
    def wrapper(request: AccountRequest, *args, **kwargs) -> HttpResponse:
        with timezone.override(request.account.timezone):
            return view(request, *args, **kwargs)

    return wrapper


def go(request: AccountRequest, url: str) -> HttpResponse:
    """Navigate after a successful POST: a full page load for HTMX, else a redirect."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def template_for(request: AccountRequest, page: str, partial: str) -> str:
    """The page, or only its named partial when HTMX asks for a swap."""
    return f"{page}#{partial}" if request.htmx else page


def save_step(request: AccountRequest, campaign: Campaign, form: forms.Form) -> bool:
    """Save what a valid wizard form changed, through `campaign_update`.

    False when the form is unbound or invalid, or the service refused: its
    messages are then on the form's fields, for the page to show inline.
    """
    if not (form.is_bound and form.is_valid()):
        return False
    try:
        if changed := changes(campaign, form.cleaned_data):
            campaign_update(
                account=request.account,
                pk=campaign.pk,
                **changed,
                actor=request.user,
            )
    except DomainError as exc:
        add_domain_errors(form, exc)
        return False
    return True
