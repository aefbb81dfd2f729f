"""Wizard step 2: sender and message, with the live counter and preview beside it.

The counter and the preview are HTMX partials answered by the server: the counting
is `segments.analyze`, never JavaScript, so what the marketer sees is what is billed.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import normalize_newlines
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import AccountRequest, account_required
from accounts.digits import as_id, ascii_digits
from campaigns.composer import (
    available_fields,
    contact_values,
    counter_for,
    preview_for,
    unknown_fields,
)
from campaigns.forms import MessageForm, variable_field
from campaigns.models import Campaign
from campaigns.selectors import preview_contacts
from campaigns.states import EDITABLE
from campaigns.views.common import go, load_campaign, save_step, template_for
from campaigns.views.steps import wizard_steps
from contacts.models import ContactList
from contacts.selectors import contact_lists_for_account
from messaging import segments
from messaging.links import links_template
from messaging.models import Channel
from messaging.whatsapp_templates import TemplateSend, templates_approved

PAGE = "campaigns/message.html"


def _preview_list(
    request: AccountRequest, campaign: Campaign, data: QueryDict
) -> ContactList | None:
    """The list to preview with: the one picked (in the composer or in step 3), the
    campaign's, or the newest with contacts, so fields can be tried before step 3
    (never an empty one, which has nothing to show)."""
    lists = contact_lists_for_account(account=request.account)
    wanted = data.get("preview_list") or data.get("contact_list") or ""
    if (pk := as_id(wanted)) and (chosen := lists.filter(pk=pk).first()):
        return chosen
    return campaign.contact_list or lists.filter(total_count__gt=0).first()


def _composer_context(
    request: AccountRequest, campaign: Campaign, data: QueryDict | None
) -> dict[str, Any]:
    """Counter and preview for the text being typed (`data`), else the saved one."""
    if data is None or "text" not in data:
        text, unicode, transliterate, track = (
            campaign.text,
            campaign.unicode,
            campaign.transliterate_fields,
            campaign.track_links,
        )
    else:
        text = normalize_newlines(data.get("text", ""))
        unicode = "unicode" in data
        transliterate = "transliterate_fields" in data
        track = "track_links" in data
    # Counted and previewed as sent: links as short links of their real length.
    text = links_template(text, track=track).text
    preview_list = _preview_list(request, campaign, data or QueryDict())
    preview = preview_for(
        text,
        contact_list=preview_list,
        channel=campaign.channel,
        unicode=unicode,
        transliterate=transliterate,
    )
    samples = [row.info for row in preview if row.info is not None]
    fields = available_fields(preview_list)
    return {
        "campaign": campaign,
        "counter": counter_for(
            text, channel=campaign.channel, unicode=unicode, samples=samples
        ),
        "preview_list": preview_list,
        "preview_lists": contact_lists_for_account(account=request.account),
        "preview": preview,
        "fields": fields,
        "unknown_fields": [
            (f"{{{{{name}}}}}", f"{{{{{meant}}}}}" if meant else "")
            for name, meant in unknown_fields(text, fields)
        ]
        if preview_list
        else [],
    }


def _initial(request: AccountRequest, campaign: Campaign) -> dict[str, Any]:
    initial = {
        name: getattr(campaign, name)
        for name in MessageForm.base_fields
        if hasattr(campaign, name)
    }
    initial["sender"] = campaign.sender or request.account.default_sender
    if campaign.template_id and campaign.template_language:
        name = campaign.template_id.partition(":")[0]
        initial["template_id"] = f"{name}:{campaign.template_language}"
    for number, column in (campaign.template_variables or {}).items():
        if ascii_digits(number):  # stored before numbers were checked: skipped
            initial[variable_field(int(number))] = column
    return initial


def _message_form(
    request: AccountRequest,
    campaign: Campaign,
    data: QueryDict | None,
    initial: dict[str, Any],
) -> MessageForm:
    """The step's form; a WhatsApp campaign picks among the approved templates."""
    templates = (
        templates_approved(account_id=request.account.pk)
        if campaign.channel == Channel.WHATSAPP
        else []
    )
    preview_list = _preview_list(request, campaign, data or QueryDict())
    return MessageForm(
        data,
        initial=initial,
        channel=campaign.channel,
        templates=templates,
        columns=available_fields(preview_list),
    )


def _template_preview(
    request: AccountRequest,
    campaign: Campaign,
    form: MessageForm,
    data: QueryDict | None,
) -> dict[str, Any] | None:
    """The chosen template filled with the first contact's values, as sent."""
    template = form.template
    if template is None:
        return None
    source = data if data is not None else QueryDict()
    mapping = {
        str(i): (
            source.get(variable_field(i))
            if data is not None
            else form.initial.get(variable_field(i))
        )
        or ""
        for i in range(1, template.variables + 1)
    }
    send = TemplateSend(
        name=template.name,
        language=template.language,
        body=template.body,
        variables=template.variables,
        mapping=mapping,
    )
    preview_list = _preview_list(request, campaign, source)
    contacts = (
        preview_contacts(contact_list=preview_list, limit=1) if preview_list else []
    )
    values = contact_values(contacts[0], transliterate=False) if contacts else {}
    text, _payload = send.render(values)
    who = ""
    if contacts:
        contact = contacts[0]
        who = f"{contact.first_name} {contact.last_name}".strip() or contact.phone
    return {
        "template": template,
        "text": text,
        "who": who,
        "phone": contacts[0].phone if contacts else "",
        "empty": [f"{{{{{n}}}}}" for n, column in mapping.items() if not column],
    }


@account_required
@require_http_methods(["GET", "POST"])
def campaign_message(request: AccountRequest, pk: int) -> HttpResponse:
    """Compose: save sender, text and options, then go on to the recipients."""
    campaign = load_campaign(request, pk)
    data = request.POST if request.method == "POST" else None
    form = _message_form(request, campaign, data, _initial(request, campaign))
    if save_step(request, campaign, form):
        return go(request, reverse("campaigns:recipients", args=[pk]))
    context = {
        **_composer_context(request, campaign, data),
        "form": form,
        "template_preview": _template_preview(request, campaign, form, data),
        "steps": wizard_steps(campaign, "message"),
        "is_locked": campaign.status not in EDITABLE,
    }
    status = 422 if form.is_bound else 200
    return render(
        request, template_for(request, PAGE, "message-form"), context, status=status
    )


@account_required
@require_POST
def campaign_counter(request: AccountRequest, pk: int) -> HttpResponse:
    """The counter for the text as typed so far (nothing is saved)."""
    campaign = load_campaign(request, pk)
    context = _composer_context(request, campaign, request.POST)
    return render(request, f"{PAGE}#sms-counter", context)


@account_required
@require_POST
def campaign_preview(request: AccountRequest, pk: int) -> HttpResponse:
    """The text as typed so far, rendered for the first real contacts of a list."""
    campaign = load_campaign(request, pk)
    context = _composer_context(request, campaign, request.POST)
    return render(request, f"{PAGE}#message-preview", context)


@account_required
@require_POST
def campaign_composer(request: AccountRequest, pk: int) -> HttpResponse:
    """The composer redrawn from what is typed, for another preview list or with
    look-alikes replaced by GSM-7 characters (`action=lookalikes`).

    Nothing is saved: the marketer sees the change and saves it with the step.
    """
    campaign = load_campaign(request, pk)
    data = request.POST.copy()
    text = normalize_newlines(data.get("text", ""))
    if data.get("action") == "lookalikes":
        text = segments.replace_lookalikes(text)
    data["text"] = text
    initial = {
        name: data.get(name)
        for name in data
        if name in MessageForm.base_fields or name.startswith("variable_")
    }
    form = _message_form(request, campaign, None, initial)
    context = {
        **_composer_context(request, campaign, data),
        "form": form,
        "template_preview": _template_preview(request, campaign, form, data),
        "steps": wizard_steps(campaign, "message"),
        "is_locked": campaign.status not in EDITABLE,
    }
    return render(request, f"{PAGE}#message-form", context)
