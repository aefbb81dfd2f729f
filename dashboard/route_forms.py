"""The Channels form of a route, built from its kind's pydantic `Settings`.

Each setting becomes a field named `settings.<name>` (the name a service's
refusal uses, so errors land on it): numbers, booleans, text, and JSON for
mappings, lists and nested models; secrets are
password inputs never filled back, with the stored value's last four characters
as help. A blank secret on an edit keeps the stored one.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from messaging.models import Channel, Route
from messaging.routes import RATE_LIMIT_FIELD, kind_class, route_settings_public

PREFIX = "settings."


def _base_type(annotation: Any) -> tuple[Any, bool]:
    """(type, optional) of a field annotation such as `str | None`."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) in (
        typing.Union,
    ):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return (args[0] if len(args) == 1 else str), True
    return annotation, False


def _setting_field(name: str, info, *, secret: bool, hint: dict | None) -> forms.Field:
    kind, optional = _base_type(info.annotation)
    label = name
    help_text = info.description or ""
    if secret:
        if hint and hint.get("set"):
            shown = hint.get("last4") or "····"
            help_text = _("Set (…%(last4)s); leave empty to keep it.") % {
                "last4": shown
            }
        return forms.CharField(
            label=label,
            required=False,
            widget=forms.PasswordInput(
                render_value=False, attrs={"autocomplete": "off"}
            ),
            help_text=help_text,
        )
    required = info.is_required() and not optional
    if kind is bool:
        return forms.BooleanField(label=label, required=False, help_text=help_text)
    if kind is float:
        return forms.FloatField(label=label, required=required, help_text=help_text)
    if kind is int:
        return forms.IntegerField(label=label, required=required, help_text=help_text)
    if kind is str or typing.get_origin(kind) is typing.Literal:
        return forms.CharField(label=label, required=required, help_text=help_text)
    # Mappings, lists, nested models: typed as JSON, validated by the model.
    return forms.JSONField(label=label, required=required, help_text=help_text)


class RouteForm(forms.Form):
    """Common fields; `settings.*` fields are added per kind in `__init__`."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), choices=Channel.choices)
    priority = forms.IntegerField(
        label=gettext_lazy("Priority"),
        min_value=0,
        max_value=1000,
        initial=10,
        help_text=gettext_lazy("Lower goes first when the default is demoted."),
    )
    rate_limit = forms.FloatField(
        label=gettext_lazy("Rate limit (SMS parts per second)"),
        min_value=0,
        initial=0,
        required=False,
        help_text=gettext_lazy("0: the server's GATEWAY_RATE_LIMIT."),
    )
    enabled = forms.BooleanField(
        label=gettext_lazy("Enabled"), required=False, initial=True
    )
    is_default = forms.BooleanField(
        label=gettext_lazy("Default route of its channel"), required=False
    )

    def __init__(self, *args, kind: str, route: Route | None = None, **kwargs):
        cls = kind_class(kind)
        public = route_settings_public(route) if route else {}
        if route is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": route.name,
                    "channel": route.channel,
                    "priority": route.priority,
                    "rate_limit": route.rate_limit,
                    "enabled": route.enabled,
                    "is_default": route.is_default,
                    **{
                        PREFIX + k: v
                        for k, v in public.items()
                        if k not in cls.secret_fields and k != RATE_LIMIT_FIELD
                    },
                },
            )
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.secret_fields = cls.secret_fields
        self.fields["channel"].choices = [
            (value, label) for value, label in Channel.choices if value in cls.channels
        ]
        if route is not None:
            self.fields["channel"].disabled = True
            # Another route takes the default over; this one cannot give it away.
            self.fields["is_default"].disabled = route.is_default
        for name, info in cls.Settings.model_fields.items():  # type: ignore[attr-defined]
            secret = name in cls.secret_fields
            self.fields[PREFIX + name] = _setting_field(
                name, info, secret=secret, hint=public.get(name) if secret else None
            )

    def settings_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith(PREFIX)]

    def route_settings(self) -> dict[str, Any]:
        """The settings to store: blanks left out (defaults apply, secrets stay)."""
        values: dict[str, Any] = {}
        for name, value in self.cleaned_data.items():
            if not name.startswith(PREFIX) or value in (None, ""):
                continue
            values[name[len(PREFIX) :]] = value
        values[RATE_LIMIT_FIELD] = self.cleaned_data.get("rate_limit") or 0
        return values
