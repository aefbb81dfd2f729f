"""Contact lists: the index, one list's contacts, export and deletions."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import AccountRequest, account_required
from contacts.exporting import Format, list_export_response
from contacts.forms import ContactListForm
from contacts.models import Contact
from contacts.selectors import (
    contact_get,
    contact_list_get,
    contact_lists_for_account,
    contacts_page,
    imports_for_list,
    opted_out_count,
)
from contacts.services import contact_delete, contact_list_create, contact_list_delete
from contacts.views.common import back_to, go, optional_int

LISTS_PER_PAGE = 25
CONTACTS_PER_PAGE = 50


@account_required
def lists(request: AccountRequest) -> HttpResponse:
    """The account's lists with their counts; create a list, then fill it."""
    form = ContactListForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        contact_list = contact_list_create(account=request.account, **form.cleaned_data)
        messages.success(
            request,
            _("List “%(name)s” created. Now upload its contacts.")
            % {"name": contact_list.name},
        )
        return go(request, f"{reverse('contacts:upload')}?list={contact_list.pk}")
    page = Paginator(contact_lists_for_account(account=request.account), LISTS_PER_PAGE)
    context = {"page": page.get_page(request.GET.get("page")), "form": form}
    template = "contacts/lists.html" + ("#new-list" if request.htmx else "")
    status = 422 if form.is_bound else 200  # still bound here means invalid
    return render(request, template, context, status=status)


@account_required
@require_GET
def list_detail(request: AccountRequest, pk: int) -> HttpResponse:
    """A list's contacts in file order: search, filter by status, keyset pages."""
    contact_list = contact_list_get(account=request.account, pk=pk)
    status = request.GET.get("status", "")
    status = status if status in Contact.Status.values else ""
    query = request.GET.get("q", "").strip()
    page = contacts_page(
        contact_list=contact_list,
        status=status,
        query=query,
        region=request.account.default_region,
        after=optional_int(request.GET.get("after")),
        before=optional_int(request.GET.get("before")),
        last=request.GET.get("last") == "1",
        size=CONTACTS_PER_PAGE,
    )
    filters = {"status": status, "q": query}
    context = {
        "contact_list": contact_list,
        "page": page,
        "status": status,
        "q": query,
        "base_query": urlencode({k: v for k, v in filters.items() if v}),
        "tabs": [
            ("", _("All"), contact_list.total_count),
            (Contact.Status.VALID, _("Valid"), contact_list.valid_count),
            (Contact.Status.INVALID, _("Invalid"), contact_list.invalid_count),
            (Contact.Status.DUPLICATE, _("Duplicates"), contact_list.duplicate_count),
        ],
        "opted_out": opted_out_count(contact_list=contact_list),
        "imports": imports_for_list(contact_list=contact_list)[:5],
    }
    template = "contacts/list_detail.html" + ("#contacts-table" if request.htmx else "")
    return render(request, template, context)


@account_required
@require_GET
def list_export(
    request: AccountRequest, pk: int, fmt: Format = "csv"
) -> StreamingHttpResponse | FileResponse:
    """Download the list (or one status of it) as CSV or XLSX."""
    contact_list = contact_list_get(account=request.account, pk=pk)
    status = request.GET.get("status", "")
    return list_export_response(contact_list, status=status, fmt=fmt)


@account_required
@require_POST
def list_delete(request: AccountRequest, pk: int) -> HttpResponse:
    """Delete a list with all its contacts."""
    contact_list = contact_list_get(account=request.account, pk=pk)
    contact_list_delete(contact_list=contact_list)
    messages.success(
        request, _("List “%(name)s” deleted.") % {"name": contact_list.name}
    )
    return go(request, reverse("contacts:lists"))


@account_required
@require_POST
def contact_delete_view(request: AccountRequest, pk: int) -> HttpResponse:
    """Delete one contact; back to the page (filters kept) it was deleted from."""
    contact = contact_get(account=request.account, pk=pk)
    contact_delete(contact=contact)
    messages.success(
        request,
        _("%(phone)s was removed from the list.")
        % {"phone": contact.phone or contact.raw_phone or _("The contact")},
    )
    fallback = reverse("contacts:list", args=[contact.contact_list_id])
    return redirect(back_to(request, fallback))
