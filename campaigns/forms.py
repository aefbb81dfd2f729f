"""Wizard forms: they parse what the browser sends; the services decide what is valid.

Each form checks only what a browser can get wrong on its own (a missing field, a
malformed number or date). Every business rule (sender format, SMS length, the
list belonging to the account, a schedule in the future) is the services', and
their refusals are shown on the field they name (`accounts.forms.add_domain_errors`:
services and forms both use the models' field names).
"""

from __future__ import annotations

from datetime import time
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.utils.dates import WEEKDAYS
from django.utils.text import normalize_newlines
from django.utils.translation import gettext_lazy as _

from accounts.inputs import MAX_INT
from accounts.models import Account
from campaigns.models import Campaign
from campaigns.recurrence import DAYS, weekly_rule
from campaigns.speed import MAX_PER_MINUTE, MAX_SPREAD_HOURS
from contacts.selectors import contact_lists_for_account
from messaging.models import Channel, WhatsAppTemplate


def changes(campaign: Campaign, cleaned: dict[str, Any]) -> dict[str, Any]:
    """The settings that differ from the campaign's: saving the same ones again would
    throw its quote away for nothing."""
    return {
        name: value
        for name, value in cleaned.items()
        if getattr(campaign, name) != value
    }


class MessageText(forms.CharField):
    """Message text exactly as typed, except that browsers send CRLF for each line
    break, and a line break is one character in an SMS."""

    widget = forms.Textarea

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strip=False, required=False, **kwargs)

    def to_python(self, value: Any) -> str:
        return normalize_newlines(super().to_python(value))


class SetupForm(forms.Form):
    name = forms.CharField(label=_("Campaign name"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only your team sees it."),
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=Channel.choices,
        initial=Channel.SMS,
        widget=forms.RadioSelect,
    )
    simulation = forms.BooleanField(
        label=_("Simulation: walk the whole flow, send nothing, pay nothing"),
        required=False,
    )


class MessageForm(forms.Form):
    sender = forms.CharField(
        label=_("Sender"),
        max_length=15,
        required=False,
        help_text=_(
            "Up to 11 letters and digits, or a phone number of up to 15 digits."
        ),
    )
    text = MessageText(label=_("Message"))
    template_id = forms.CharField(
        label=_("Approved template"),
        max_length=200,
        required=False,
        help_text=_("The id of a template approved for this channel."),
    )
    unicode = forms.BooleanField(
        label=_("Always send as Unicode (UCS-2)"),
        required=False,
        help_text=_(
            "Needed only for scripts GSM-7 lacks; each part then holds 70 characters."
        ),
    )
    transliterate_fields = forms.BooleanField(
        label=_("Spell field values with GSM-7 letters (Łukasz → Lukasz)"),
        required=False,
    )
    track_links = forms.BooleanField(
        label=_("Track links: each recipient gets short links of their own"),
        required=False,
        help_text=_(
            "Clicks are counted per recipient. Write {{optout_link}} for a "
            "one-click unsubscribe page."
        ),
    )
    fallback = forms.BooleanField(
        label=_("Fall back to SMS when the phone cannot receive this channel"),
        required=False,
    )
    fallback_text = MessageText(
        label=_("Fallback SMS text"),
        help_text=_("Empty: the message text is sent as SMS."),
    )

    def __init__(
        self,
        *args: Any,
        channel: str,
        templates: list[WhatsAppTemplate] | None = None,
        columns: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        """`templates`: the account's approved WhatsApp templates. With some, the
        template is picked from them and each of its variables from `columns`
        (the list's fields); without, its name is typed as before."""
        super().__init__(*args, **kwargs)
        self.channel = channel
        self.templates = templates or []
        self.template: WhatsAppTemplate | None = None
        if channel == Channel.SMS:
            for name in ("template_id", "fallback", "fallback_text"):
                del self.fields[name]
        else:
            self.fields["fallback_text"].widget.attrs["rows"] = 3
        if channel == Channel.WHATSAPP and self.templates:
            self._picker(columns or [])
        self.fields["text"].widget.attrs.update(
            {"rows": 7, "spellcheck": "true", "autofocus": True}
        )

    def _picker(self, columns: list[str]) -> None:
        """The template as a choice among the approved ones, plus one column
        choice per variable of the chosen template."""
        self.fields["template_id"] = forms.ChoiceField(
            label=_("Approved template"),
            required=False,
            choices=[
                ("", _("Choose a template")),
                *(
                    (
                        t.reference,
                        " · ".join(
                            part
                            for part in (t.name, t.language, t.category.lower())
                            if part
                        ),
                    )
                    for t in self.templates
                ),
            ],
        )
        chosen = (
            self.data.get("template_id")
            if self.is_bound
            else self.initial.get("template_id")
        ) or ""
        self.template = template_choice(self.templates, chosen)
        column_choices = [("", _("Choose a column")), *((c, c) for c in columns)]
        for i in range(1, (self.template.variables if self.template else 0) + 1):
            self.fields[variable_field(i)] = forms.ChoiceField(
                label=f"{{{{{i}}}}}", required=False, choices=column_choices
            )

    @property
    def variable_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("variable_")]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.template is not None:
            mapping = {}
            for i in range(1, self.template.variables + 1):
                column = cleaned.pop(variable_field(i), "")
                if not column:
                    self.add_error(variable_field(i), _("Choose a list column."))
                mapping[str(i)] = column
            cleaned["template_variables"] = mapping
        has_text = bool(cleaned.get("text", "").strip())
        if self.channel == Channel.SMS and not has_text:
            self.add_error("text", _("Write the message."))
        elif self.channel != Channel.SMS and not (
            has_text or cleaned.get("template_id")
        ):
            self.add_error(
                "template_id", _("Choose an approved template or write the message.")
            )
        return cleaned


def variable_field(number: int) -> str:
    """The form field that maps template variable `{{number}}` to a column."""
    return f"variable_{number}"


def template_choice(
    templates: list[WhatsAppTemplate], chosen: str
) -> WhatsAppTemplate | None:
    """The template `chosen` names: `name:language`, or a bare name (as the API
    and older campaigns store it) when only one language has it."""
    exact = [t for t in templates if t.reference == chosen]
    by_name = [t for t in templates if t.name == chosen]
    found = exact or (by_name if len(by_name) == 1 else [])
    return found[0] if found else None


class RecipientsForm(forms.Form):
    contact_list = forms.ModelChoiceField(
        label=_("Contact list"),
        queryset=None,
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the list to send to.")},
    )
    goal_contact_count = forms.IntegerField(
        label=_("Send to at most"),
        min_value=1,
        required=False,
        help_text=_("Optional: the first N valid recipients of the list."),
        max_value=MAX_INT,
    )
    include_landlines = forms.BooleanField(
        label=_("Send to landlines too"),
        required=False,
        help_text=_(
            "Off by default: an SMS to a fixed-line number usually does not arrive, "
            "so landlines are left out and not charged."
        ),
    )

    window_days = forms.MultipleChoiceField(
        label=_("Deliver only on"),
        choices=[(code, WEEKDAYS[i]) for i, code in enumerate(DAYS)],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_(
            "In each recipient's own time zone. No day ticked: any day, any hour."
        ),
    )
    window_from = forms.TimeField(
        label=_("from"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    window_to = forms.TimeField(
        label=_("to"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    max_per_minute = forms.IntegerField(
        label=_("At most messages per minute"),
        min_value=1,
        max_value=MAX_PER_MINUTE,
        required=False,
    )
    spread_hours = forms.IntegerField(
        label=_("or spread over hours"),
        min_value=1,
        max_value=MAX_SPREAD_HOURS,
        required=False,
    )
    use_canary = forms.BooleanField(
        label=_(
            "Send a canary first: a small slice goes out, the rest waits until it "
            "looks healthy"
        ),
        required=False,
        help_text=_(
            "2% of the recipients (at least 200), spread over countries and "
            "operators; held 15 minutes; paused if over 10% fail or 1% opt out."
        ),
    )

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        self.current_canary = kwargs.pop("canary", None)
        super().__init__(*args, **kwargs)
        self.fields["contact_list"].queryset = contact_lists_for_account(
            account=account
        )

    @classmethod
    def initial_for(cls, campaign: Campaign) -> dict[str, Any]:
        """The form's initial values from the campaign's settings."""
        window = campaign.send_window or {}
        return {
            "contact_list": campaign.contact_list,
            "goal_contact_count": campaign.goal_contact_count,
            "include_landlines": campaign.include_landlines,
            "window_days": window.get("days", []),
            "window_from": window.get("from", "09:00"),
            "window_to": window.get("to", "20:00"),
            "max_per_minute": campaign.max_per_minute,
            "spread_hours": campaign.spread_hours,
            "use_canary": bool(campaign.canary),
        }

    def clean(self) -> dict[str, Any]:
        """Turn the window's and the canary's inputs into the campaign's settings."""
        cleaned = super().clean()
        days = cleaned.pop("window_days", [])
        start, end = cleaned.pop("window_from", None), cleaned.pop("window_to", None)
        cleaned["send_window"] = None
        if days:
            if start is None or end is None:
                self.add_error("window_from", _("Give the hours, e.g. 09:00 to 20:00."))
            else:
                cleaned["send_window"] = {
                    "days": days,
                    "from": start.strftime("%H:%M"),
                    "to": "24:00" if end == time(0, 0) else end.strftime("%H:%M"),
                }
        use_canary = cleaned.pop("use_canary", False)
        cleaned["canary"] = (self.current_canary or True) if use_canary else None
        return cleaned


class ConfirmForm(forms.Form):
    NOW, LATER = "now", "later"

    when = forms.ChoiceField(
        label=_("When"),
        choices=[(NOW, _("Send now")), (LATER, _("Schedule for later"))],
        initial=NOW,
        widget=forms.RadioSelect,
    )
    # Parsed in the current time zone, which the views set to the account's.
    scheduled_at = forms.DateTimeField(
        label=_("Date and time"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
        ),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("when") == self.LATER and not cleaned.get("scheduled_at"):
            self.add_error("scheduled_at", _("Choose when to send."))
        return cleaned


@cache
def timezone_choices() -> list[tuple[str, str]]:
    """IANA zones by name (Area/City), UTC first; the list does not change at run time."""
    zones = sorted(z for z in available_timezones() if "/" in z and z.isascii())
    return [("UTC", "UTC"), *((zone, zone.replace("_", " ")) for zone in zones)]


class RecurringForm(forms.Form):
    """A recurring SMS campaign: what to send, to whom, and when (the picker or a rule).

    The picker's weekdays and time make a weekly RRULE; the advanced field takes
    any rule instead. The services check the rule, the zone and the settings.
    """

    name = forms.CharField(label=_("Name"), max_length=200)
    contact_list = forms.ModelChoiceField(
        label=_("Contact list"),
        queryset=None,
        empty_label=_("Choose a list"),
        error_messages={"required": _("Choose the list to send to.")},
    )
    sender = forms.CharField(
        label=_("Sender"),
        max_length=15,
        required=False,
        help_text=_(
            "Up to 11 letters and digits, or a phone number of up to 15 digits."
        ),
    )
    text = MessageText(label=_("Message"))
    days = forms.MultipleChoiceField(
        label=_("Days"),
        choices=[(code, WEEKDAYS[i]) for i, code in enumerate(DAYS)],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        initial=["MO"],
    )
    at = forms.TimeField(
        label=_("Time"),
        initial=time(8, 0),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    timezone = forms.ChoiceField(label=_("Time zone"), choices=timezone_choices)
    rrule = forms.CharField(
        label=_("Recurrence rule (RFC 5545)"),
        max_length=500,
        required=False,
        help_text=_(
            "Instead of the days and time above, e.g. FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=9 "
            "(the last Friday of every month at 09:00)."
        ),
    )
    simulation = forms.BooleanField(
        label=_("Simulation: walk the whole flow, send nothing, pay nothing"),
        required=False,
    )

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact_list"].queryset = contact_lists_for_account(
            account=account
        )
        self.fields["timezone"].initial = account.timezone
        self.fields["text"].widget.attrs["rows"] = 4

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("text", "").strip() == "":
            self.add_error("text", _("Write the message."))
        if not cleaned.get("rrule"):
            if not cleaned.get("days"):
                self.add_error("days", _("Pick at least one day, or write a rule."))
            elif cleaned.get("at") is not None:
                cleaned["rrule"] = weekly_rule(days=cleaned["days"], at=cleaned["at"])
        return cleaned

    def settings(self) -> dict[str, Any]:
        """What `recurring_create` takes, from a valid form."""
        names = ("name", "contact_list", "sender", "text", "rrule", "timezone")
        return {name: self.cleaned_data[name] for name in (*names, "simulation")}
