"""Dashboard forms for accounts."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Key name"),
        max_length=100,
        help_text=_("Where the key is used, e.g. “Shop backend”."),
    )
