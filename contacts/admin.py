"""Admin for staff: lists, contacts (search by number), imports, opt-outs, blacklist.

Contacts and imports are read-only here: their counts and duplicate flags are
kept by the services, so a contact is deleted through `contact_delete` (which
promotes the next copy of its number) and never edited by hand. Numbers typed
into the opt-out and blacklist forms are stored in E.164 like everywhere else.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from contacts.models import BlacklistEntry, Contact, ContactImport, ContactList, OptOut
from contacts.phones import PhoneNormalizer
from contacts.reasons import reason_label
from contacts.services import contact_delete
from contacts.tasks import import_contacts_task

STAFF_REGION = "IT"


def _e164(value: str) -> str:
    """A typed number in E.164 (national numbers read as Italian), or a form error."""
    result = PhoneNormalizer(STAFF_REGION).normalize(value)
    if not result.valid:
        raise forms.ValidationError(reason_label(result.reason))
    return result.e164


class PhoneForm(forms.ModelForm):
    # Longer than the stored E.164 column: people type spaces and prefixes.
    phone = forms.CharField(label=_("Phone number"), max_length=64)

    def clean_phone(self) -> str:
        return _e164(self.cleaned_data["phone"])


@admin.register(ContactList)
class ContactListAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "account",
        "total_count",
        "valid_count",
        "invalid_count",
        "duplicate_count",
        "updated_at",
    ]
    list_select_related = ["account"]
    search_fields = ["name", "account__name"]
    readonly_fields = [
        "total_count",
        "valid_count",
        "invalid_count",
        "duplicate_count",
        "attribute_keys",
        "created_at",
        "updated_at",
    ]
    raw_id_fields = ["account"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = [
        "phone",
        "raw_phone",
        "status",
        "reason",
        "first_name",
        "last_name",
        "contact_list",
    ]
    list_filter = ["status", "number_type", "source"]
    list_select_related = ["contact_list"]
    search_fields = ["=phone", "=raw_phone"]
    search_help_text = _("A number in any format, e.g. 333 123 4567 or +39 333…")
    # Counting a million rows on every page load is slower than the page itself.
    show_full_result_count = False
    readonly_fields = [f.name for f in Contact._meta.fields]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        """Find a number however it is typed: the E.164 form is what is stored."""
        result = PhoneNormalizer(STAFF_REGION).normalize(search_term)
        if result.valid:
            search_term = result.e164
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: Contact) -> None:
        contact_delete(contact=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for contact in queryset.order_by("-pk"):
            contact_delete(contact=contact)


@admin.register(ContactImport)
class ContactImportAdmin(admin.ModelAdmin):
    list_display = [
        "original_name",
        "contact_list",
        "status",
        "total_rows",
        "valid_rows",
        "invalid_rows",
        "duplicate_rows",
        "created_at",
    ]
    list_filter = ["status", "file_format"]
    list_select_related = ["contact_list"]
    search_fields = ["original_name", "contact_list__name"]
    readonly_fields = [f.name for f in ContactImport._meta.fields]
    actions = ["run_again"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Run again (queued, or stuck after a worker crash)"))
    def run_again(self, request: HttpRequest, queryset: QuerySet) -> None:
        """Queue the task again; its claim skips finished and freshly running imports."""
        for pk in queryset.exclude(queued_at=None).values_list("pk", flat=True):
            import_contacts_task.delay(pk)
        messages.info(request, _("Queued. Finished imports are left as they are."))


@admin.register(OptOut)
class OptOutAdmin(admin.ModelAdmin):
    form = PhoneForm
    list_display = ["phone", "account", "source", "note", "created_at"]
    list_filter = ["source"]
    list_select_related = ["account"]
    search_fields = ["phone", "account__name"]
    raw_id_fields = ["account", "created_by"]


@admin.register(BlacklistEntry)
class BlacklistEntryAdmin(admin.ModelAdmin):
    form = PhoneForm
    list_display = ["phone", "reason", "created_at"]
    search_fields = ["phone", "reason"]
