"""The upload wizard: choose a file, confirm its columns, watch it import."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.views.decorators.http import require_GET
from django_htmx.http import HTMX_STOP_POLLING

from accounts.decorators import AccountRequest, account_required
from contacts.columns import column_names
from contacts.exporting import Format, error_report_response
from contacts.files import FileRejected
from contacts.forms import MappingForm, UploadForm
from contacts.importing import (
    contact_import_create,
    contact_import_start,
    import_preview,
)
from contacts.models import ContactImport
from contacts.regions import region_choices
from contacts.selectors import contact_import_get, contact_lists_for_account
from contacts.services import contact_list_create
from contacts.views.common import optional_int

Status = ContactImport.Status


@account_required
def upload(request: AccountRequest) -> HttpResponse:
    """Step 1: the file, the list it goes to and the country of national numbers.

    The file is checked here, so an empty, binary or oversized file is refused on
    this page before anything is stored.
    """
    lists = contact_lists_for_account(account=request.account)
    form = UploadForm(
        request.POST or None,
        request.FILES or None,
        lists=lists,
        max_size=filesizeformat(settings.CONTACT_UPLOAD_MAX_BYTES),
        initial={
            "contact_list": optional_int(request.GET.get("list")),
            "region": request.account.default_region,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload_file = data["file"]
        try:
            with transaction.atomic():  # no empty new list for a refused file
                contact_list = data["contact_list"] or contact_list_create(
                    account=request.account,
                    name=data["new_list_name"] or upload_file.name.rsplit(".", 1)[0],
                )
                contact_import = contact_import_create(
                    account=request.account,
                    contact_list=contact_list,
                    upload=upload_file,
                    default_region=data["region"],
                    created_by=request.user,
                    start=False,
                )
        except FileRejected as exc:
            form.add_error("file", exc.message)
        else:
            return redirect("contacts:import_columns", pk=contact_import.pk)
    status = 422 if form.is_bound else 200  # still bound here means invalid
    return render(request, "contacts/upload.html", {"form": form}, status=status)


@account_required
def columns(request: AccountRequest, pk: int) -> HttpResponse:
    """Step 2: preview the first rows and say what each column holds, then import."""
    contact_import = contact_import_get(account=request.account, pk=pk)
    if contact_import.queued_at or contact_import.status != Status.PENDING:
        return redirect("contacts:import", pk=contact_import.pk)
    rows = import_preview(contact_import)
    names = column_names(contact_import.mapping)
    form = MappingForm(
        request.POST or None,
        mapping=contact_import.mapping,
        names=names,
        first_row=rows[0] if rows else [],
    )
    if request.method == "POST" and form.is_valid():
        contact_import_start(contact_import=contact_import, mapping=form.mapping())
        return redirect("contacts:import", pk=contact_import.pk)
    width = len(names)
    context = {
        "contact_import": contact_import,
        "region": dict(region_choices()).get(contact_import.default_region),
        "form": form,
        # A row with stray extra cells is shown cut to the columns (it will be
        # flagged on import); a short one is padded.
        "rows": [(row + [""] * width)[:width] for row in rows],
    }
    status = 422 if form.is_bound else 200
    return render(request, "contacts/columns.html", context, status=status)


@account_required
@require_GET
def import_detail(request: AccountRequest, pk: int) -> HttpResponse:
    """Step 3: a progress bar polled every second, then the summary.

    Polling stops with HTMX's 286 once the import has finished.
    """
    contact_import = contact_import_get(account=request.account, pk=pk)
    if contact_import.status == Status.PENDING and not contact_import.queued_at:
        return redirect("contacts:import_columns", pk=contact_import.pk)
    finished = contact_import.status in (Status.COMPLETED, Status.FAILED)
    context = {
        "contact_import": contact_import,
        "finished": finished,
        "percent": _percent(contact_import),
        "poll_url": reverse("contacts:import", args=[contact_import.pk]),
    }
    if request.htmx:
        status = HTMX_STOP_POLLING if finished else 200
        return render(
            request, "contacts/import.html#import-progress", context, status=status
        )
    return render(request, "contacts/import.html", context)


@account_required
@require_GET
def import_errors(
    request: AccountRequest, pk: int, fmt: Format = "csv"
) -> StreamingHttpResponse | FileResponse:
    """The rejected rows of an import as CSV or XLSX: row, value as given, reason."""
    contact_import = contact_import_get(account=request.account, pk=pk)
    return error_report_response(contact_import, fmt=fmt)


def _percent(contact_import: ContactImport) -> int:
    """How far the import is; 99 at most until it is saved (the merge takes a while)."""
    if contact_import.status == Status.COMPLETED:
        return 100
    if not contact_import.total_rows:
        return 0
    return min(99, contact_import.processed_rows * 100 // contact_import.total_rows)
