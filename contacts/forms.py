"""Dashboard forms: new list, upload, column mapping, opt-outs."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from contacts.columns import MappingDict, attribute_key
from contacts.models import ContactList
from contacts.regions import region_choices

FILE_TYPES = ".csv,.txt,.tsv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ContactListForm(forms.Form):
    name = forms.CharField(label=_("List name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), max_length=1000, required=False
    )


class RegionField(forms.ChoiceField):
    """A country picker whose names follow the active language."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=region_choices, **kwargs)


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or Excel file"),
        help_text=_(
            "CSV (comma, semicolon or tab separated) or .xlsx, up to %(size)s; "
            "the first row may hold the column names."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": FILE_TYPES}),
    )
    contact_list = forms.ModelChoiceField(
        label=_("Add to list"),
        queryset=ContactList.objects.none(),
        required=False,
        empty_label=_("A new list"),
    )
    new_list_name = forms.CharField(
        label=_("New list name"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to name the list after the file."),
    )
    region = RegionField(
        label=_("Country of numbers without a prefix"),
        help_text=_("“333 123 4567” is read as a number of this country."),
    )

    def __init__(
        self, *args: Any, lists: QuerySet[ContactList], max_size: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact_list"].queryset = lists
        self.fields["file"].help_text = self.fields["file"].help_text % {
            "size": max_size
        }


class Role:
    PHONE = "phone"
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    ATTRIBUTE = "attribute"
    SKIP = "skip"


ROLE_CHOICES = [
    (Role.PHONE, _("Phone number")),
    (Role.FIRST_NAME, _("First name")),
    (Role.LAST_NAME, _("Last name")),
    (Role.ATTRIBUTE, _("Personalization field")),
    (Role.SKIP, _("Do not import")),
]


class MappingForm(forms.Form):
    """One role per column of the file, starting from the detected mapping."""

    header = forms.BooleanField(
        label=_("The first row holds column names"), required=False
    )

    def __init__(
        self,
        *args: Any,
        mapping: MappingDict,
        names: list[str],
        first_row: list[str],
        **kwargs: Any,
    ) -> None:
        roles = {mapping["phone"]: Role.PHONE}
        if mapping["first_name"] is not None:
            roles[mapping["first_name"]] = Role.FIRST_NAME
        if mapping["last_name"] is not None:
            roles[mapping["last_name"]] = Role.LAST_NAME
        attributes = {index for _key, index in mapping["attributes"]}
        initial = {"header": mapping["header"]}
        for index in range(len(names)):
            default = Role.ATTRIBUTE if index in attributes else Role.SKIP
            initial[f"col_{index}"] = roles.get(index, default)
        super().__init__(*args, initial=initial, **kwargs)
        # With the header box ticked, the first row's cells name the attributes.
        self.first_row = [
            first_row[i].strip() if i < len(first_row) else ""
            for i in range(len(names))
        ]
        self.names = names
        for index, name in enumerate(names):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=name, choices=ROLE_CHOICES
            )

    def column_fields(self) -> list[forms.BoundField]:
        return [self[f"col_{index}"] for index in range(len(self.names))]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        roles = [data.get(f"col_{index}") for index in range(len(self.names))]
        if roles.count(Role.PHONE) != 1:
            raise forms.ValidationError(
                _("Choose exactly one column as the phone number.")
            )
        for role, label in (
            (Role.FIRST_NAME, _("first name")),
            (Role.LAST_NAME, _("last name")),
        ):
            if roles.count(role) > 1:
                raise forms.ValidationError(
                    _("Choose at most one column as the %(field)s.") % {"field": label}
                )
        return data

    def mapping(self) -> MappingDict:
        """The confirmed mapping, attribute keys named after the columns."""
        roles = [self.cleaned_data[f"col_{index}"] for index in range(len(self.names))]
        header = self.cleaned_data["header"]
        taken: set[str] = set()
        return {
            "header": header,
            "columns": self.first_row if header else [""] * len(self.names),
            "phone": roles.index(Role.PHONE),
            "first_name": _index(roles, Role.FIRST_NAME),
            "last_name": _index(roles, Role.LAST_NAME),
            "attributes": [
                [
                    attribute_key(
                        (self.first_row[index] if header else "")
                        or f"column_{index + 1}",
                        taken,
                    ),
                    index,
                ]
                for index, role in enumerate(roles)
                if role == Role.ATTRIBUTE
            ],
        }


def _index(roles: list[str], role: str) -> int | None:
    return roles.index(role) if role in roles else None


class OptOutForm(forms.Form):
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=64,
        widget=forms.TextInput(attrs={"placeholder": "+39 333 123 4567"}),
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. replied STOP")}),
    )


class OptOutImportForm(forms.Form):
    file = forms.FileField(
        label=_("File of numbers"),
        help_text=_("CSV or .xlsx with one number per row."),
        widget=forms.ClearableFileInput(attrs={"accept": FILE_TYPES}),
    )
    region = RegionField(label=_("Country of numbers without a prefix"))
