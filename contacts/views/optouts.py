"""The opt-out list: add, search, remove, import a file of numbers."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import AccountRequest, account_required
from accounts.errors import DomainError
from contacts.files import FileRejected
from contacts.forms import OptOutForm, OptOutImportForm
from contacts.models import OptOut
from contacts.optouts import optout_add, optout_remove, optouts_import
from contacts.paging import keyset_page
from contacts.selectors import optouts_for_account
from contacts.views.common import back_to, go, optional_int

PER_PAGE = 50


@account_required
def optouts(request: AccountRequest) -> HttpResponse:
    """Search the account's opt-outs, newest first; add one by hand."""
    form = OptOutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            optout, created = optout_add(
                account=request.account,
                phone=form.cleaned_data["phone"],
                region=request.account.default_region,
                note=form.cleaned_data["note"],
                created_by=request.user,
            )
        except DomainError as exc:
            form.add_error("phone", exc.message)
        else:
            text = (
                _("%(phone)s will not receive campaigns any more.")
                if created
                else _("%(phone)s was already opted out.")
            )
            messages.success(request, text % {"phone": optout.phone})
            return go(request, reverse("contacts:optouts"))
    import_form = OptOutImportForm(initial={"region": request.account.default_region})
    return _page(request, add_form=form, import_form=import_form)


@account_required
@require_POST
def optouts_import_view(request: AccountRequest) -> HttpResponse:
    """Opt out every number of an uploaded file at once."""
    form = OptOutImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            result = optouts_import(
                account=request.account,
                upload=form.cleaned_data["file"],
                region=form.cleaned_data["region"],
                created_by=request.user,
            )
        except FileRejected as exc:
            form.add_error("file", exc.message)
        else:
            messages.success(
                request,
                _(
                    "%(added)d numbers opted out, %(already)d already were, "
                    "%(invalid)d rows without a valid number."
                )
                % {
                    "added": result.added,
                    "already": result.already,
                    "invalid": result.invalid,
                },
            )
            return redirect("contacts:optouts")
    return _page(request, add_form=OptOutForm(), import_form=form)


@account_required
@require_POST
def optout_delete(request: AccountRequest, pk: int) -> HttpResponse:
    """Let a number receive campaigns again."""
    phone = optout_remove(account=request.account, pk=pk)
    messages.success(
        request, _("%(phone)s can receive campaigns again.") % {"phone": phone}
    )
    return redirect(back_to(request, reverse("contacts:optouts")))


def _page(
    request: AccountRequest, *, add_form: OptOutForm, import_form: OptOutImportForm
) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    page = keyset_page(
        optouts_for_account(account=request.account, query=query),
        after=optional_int(request.GET.get("after")),
        before=optional_int(request.GET.get("before")),
        size=PER_PAGE,
        descending=True,
    )
    context = {
        "page": page,
        "q": query,
        "add_form": add_form,
        "import_form": import_form,
        "total": OptOut.objects.filter(account=request.account).count(),
    }
    searching = request.htmx and request.method == "GET"
    template = "contacts/optouts.html" + ("#optout-table" if searching else "")
    invalid = add_form.is_bound or import_form.is_bound  # bound here: not valid
    return render(request, template, context, status=422 if invalid else 200)
