"""Dashboard forms for accounts."""

from __future__ import annotations

from datetime import time

from django import forms
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from accounts.errors import DomainError
from accounts.windows import DAYS


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Key name"),
        max_length=100,
        help_text=_("Where the key is used, e.g. “Shop backend”."),
    )


def add_domain_errors(
    form: forms.BaseForm, error: DomainError, *, fields: dict[str, str] | None = None
) -> None:
    """Show a service's refusal next to the field it names, else above the form.

    Services name fields as the models do, and so do our forms; `fields` maps the
    few domain names a form spells otherwise.
    """
    for key, message in error.data.items():
        name = (fields or {}).get(key, key)
        form.add_error(name if name in form.fields else None, message)


class SendWindowForm(forms.Form):
    """The account's default send window: days ticked and hours; no day: none."""

    days = forms.MultipleChoiceField(
        label=_("Days"),
        choices=[(code, WEEKDAYS[i]) for i, code in enumerate(DAYS)],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    start = forms.TimeField(
        label=_("from"),
        initial=time(9, 0),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    end = forms.TimeField(
        label=_("to"),
        initial=time(20, 0),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )

    def window(self) -> dict | None:
        """The window as services take it, from a valid form."""
        data = self.cleaned_data
        if not data["days"]:
            return None
        end = data["end"]
        return {
            "days": data["days"],
            "from": data["start"].strftime("%H:%M"),
            "to": "24:00" if end == time(0, 0) else end.strftime("%H:%M"),
        }
