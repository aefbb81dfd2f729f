"""Dashboard forms for accounts."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.errors import DomainError


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
