"""Contact lists, contacts, imports, opt-outs and the system blacklist.

A list keeps every row it was given: valid numbers, malformed ones (with a reason)
and duplicates (a valid number whose E.164 form already appears earlier in the same
list; the first occurrence is the keeper, across imports too). The database holds
that invariant: at most one `valid` contact per list and number.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, user_field
from contacts.reasons import reason_label


class ContactList(models.Model):
    """A named list of contacts; the counts are kept in step by the services."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="contact_lists"
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    total_count = models.PositiveIntegerField(_("rows"), default=0)
    valid_count = models.PositiveIntegerField(_("valid"), default=0)
    invalid_count = models.PositiveIntegerField(_("invalid"), default=0)
    duplicate_count = models.PositiveIntegerField(_("duplicates"), default=0)
    # Attribute keys seen in the list, in file order: the personalization fields.
    attribute_keys = models.JSONField(_("attribute columns"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("contact list")
        verbose_name_plural = _("contact lists")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["account", "-created_at"], name="list_account_recent")
        ]

    def __str__(self) -> str:
        return self.name


class ContactStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    INVALID = "invalid", _("Invalid")
    DUPLICATE = "duplicate", _("Duplicate")


class NumberType(models.TextChoices):
    MOBILE = "mobile", _("Mobile")
    FIXED = "fixed", _("Fixed line")
    OTHER = "other", _("Other")


class ContactSource(models.TextChoices):
    IMPORT = "import", _("File import")
    API = "api", _("API")
    MANUAL = "manual", _("Manual")


class Contact(models.Model):
    """One row of a list, exactly as given plus what we made of its number."""

    Status = ContactStatus

    # No single-column index: `contact_list_keyset` (contact_list, id) serves it,
    # and every index costs about a second per million imported rows.
    contact_list = models.ForeignKey(
        ContactList, on_delete=models.CASCADE, related_name="contacts", db_index=False
    )
    raw_phone = models.CharField(_("phone as given"), max_length=64, blank=True)
    phone = models.CharField(_("phone (E.164)"), max_length=16, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ContactStatus.choices)
    reason = models.CharField(_("reason"), max_length=32, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    number_type = models.CharField(
        _("number type"), max_length=8, choices=NumberType.choices, blank=True
    )
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    source = models.CharField(
        _("source"), max_length=8, choices=ContactSource.choices, default="manual"
    )
    # Which upload a row came from, for its error report. Neither indexed nor a
    # database constraint: a per-row foreign-key check costs ~3 s per million
    # imported rows, and reports find an import's rows through the list's
    # indexes. Django still nulls it when an import is deleted.
    contact_import = models.ForeignKey(
        "ContactImport",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
        db_index=False,
        db_constraint=False,
    )
    row_number = models.PositiveIntegerField(_("row in file"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["id"]
        # Every index costs 1-2 s per million imported rows, so the two that only
        # serve the few rejected rows are partial: valid contacts are found through
        # `contact_list_keyset` (pages) and `one_keeper_per_number` (by number).
        indexes = [
            # Keyset pagination within one list.
            models.Index(fields=["contact_list", "id"], name="contact_list_keyset"),
            # Pages of invalid or duplicate rows, error reports.
            models.Index(
                fields=["contact_list", "status", "id"],
                condition=~Q(status="valid"),
                name="contact_list_rejects",
            ),
            # A duplicate by number: search, and promotion when its keeper goes.
            models.Index(
                fields=["contact_list", "phone"],
                condition=Q(status="duplicate"),
                name="contact_list_duplicates",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["contact_list", "phone"],
                condition=Q(status="valid"),
                name="one_keeper_per_number",
                violation_error_message=_("This number is already in the list."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=ContactStatus.values),
                name="contact_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="invalid") | ~Q(phone=""),
                name="contact_valid_has_phone",
            ),
        ]

    def __str__(self) -> str:
        return self.phone or self.raw_phone

    @property
    def reason_text(self) -> str:
        """The reason as a sentence for people (`reason` is the stable code)."""
        return reason_label(self.reason)


class FileFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"


class ContactImport(models.Model):
    """One uploaded file being (or having been) imported into a list."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Pending")
        RUNNING = "RUNNING", _("Running")
        COMPLETED = "COMPLETED", _("Completed")
        FAILED = "FAILED", _("Failed")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    contact_list = models.ForeignKey(
        ContactList, on_delete=models.CASCADE, related_name="imports"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    default_region = models.CharField(_("default country"), max_length=2, default="IT")
    # What the upload check found, so the worker reads the file exactly as previewed.
    file_format = models.CharField(
        _("format"), max_length=4, choices=FileFormat.choices, default=FileFormat.CSV
    )
    encoding = models.CharField(_("encoding"), max_length=32, blank=True)
    delimiter = models.CharField(_("delimiter"), max_length=1, blank=True)
    # contacts.columns.MappingDict: {"header": bool, "columns": [names],
    # "phone": index, "first_name": index|None, "last_name": index|None,
    # "attributes": [[key, index], ...]} (a list: jsonb does not keep key order).
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    # Set when the import is handed to a worker; a browser upload stays PENDING
    # without it while the user reviews the column mapping.
    queued_at = models.DateTimeField(null=True, blank=True)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    valid_rows = models.PositiveIntegerField(default=0)
    invalid_rows = models.PositiveIntegerField(default=0)
    duplicate_rows = models.PositiveIntegerField(default=0)
    opted_out_rows = models.PositiveIntegerField(default=0)
    error = models.TextField(_("error"), blank=True)
    created_by = user_field()
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("contact import")
        verbose_name_plural = _("contact imports")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["PENDING", "RUNNING", "COMPLETED", "FAILED"]),
                name="import_status_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.original_name} → {self.contact_list}"


class OptOutSource(models.TextChoices):
    MANUAL = "manual", _("Manual")
    IMPORT = "import", _("Import")
    API = "api", _("API")
    REPLY = "reply", _("Reply keyword")
    LINK = "link", _("Opt-out link")


class OptOut(models.Model):
    """A number of the account's that must never receive a campaign."""

    Source = OptOutSource

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="opt_outs"
    )
    phone = models.CharField(_("phone (E.164)"), max_length=16)
    source = models.CharField(
        _("source"), max_length=8, choices=OptOutSource.choices, default="manual"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = user_field()
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("opt-out")
        verbose_name_plural = _("opt-outs")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "phone"], name="one_optout_per_number"
            ),
            models.CheckConstraint(
                condition=Q(source__in=OptOutSource.values), name="optout_source_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.phone


class BlacklistEntry(models.Model):
    """A number no account may message (managed by staff)."""

    phone = models.CharField(_("phone (E.164)"), max_length=16, unique=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("blacklisted number")
        verbose_name_plural = _("system blacklist")
        ordering = ["phone"]

    def __str__(self) -> str:
        return self.phone
