"""Test sends: a campaign's message to a few numbers before it goes to everyone.

Each number gets the text rendered with its own row of the list when it is in
it, else with the list's first contact, and goes through the campaign's route
at once. It is charged like any message (reserved, then captured for what the
route took) unless the campaign is a simulation.
"""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.credit import credit_capture, credit_release, credit_reserve
from accounts.errors import DomainError
from accounts.models import Account
from accounts.money import to_cents
from campaigns.error_codes import CampaignErrorCode
from campaigns.models import Campaign
from campaigns.quotes import campaign_template
from campaigns.selectors import campaign_get
from contacts.models import Contact
from contacts.phones import PhoneNormalizer
from contacts.reasons import invalid_number_message
from messaging import dispatch, segments
from messaging.dispatch import Claim
from messaging.gateways.kinds import adapter_for
from messaging.models import SUBMITTED, Channel, Message
from messaging.personalization import render
from messaging.pricing import PriceBook
from messaging.references import reference_new
from messaging.routes import NoRoute, route_resolve

MAX_NUMBERS = 5


def _values(contact: Contact | None) -> dict[str, str]:
    if contact is None:
        return {}
    return {
        **{str(k).lower(): str(v) for k, v in (contact.attributes or {}).items()},
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "phone": contact.phone,
    }


def _numbers(account: Account, phone_numbers: list[str]) -> list[tuple[str, str]]:
    """(E.164, country) of each number; a DomainError names the first bad one."""
    if not 1 <= len(phone_numbers) <= MAX_NUMBERS:
        raise DomainError(
            {
                "phone_numbers": _("Give from 1 to %(max)d numbers.")
                % {"max": MAX_NUMBERS}
            },
            code=CampaignErrorCode.INVALID_TEST_NUMBERS,
        )
    normalizer = PhoneNormalizer(account.default_region)
    numbers = []
    for raw in phone_numbers:
        result = normalizer.normalize(str(raw))
        if not result.valid:
            raise DomainError(
                {"phone_numbers": invalid_number_message(str(raw), result.reason)},
                code=CampaignErrorCode.INVALID_TEST_NUMBERS,
            )
        numbers.append((result.e164, result.region or ""))
    return list(dict.fromkeys(numbers))


def campaign_test_send(
    *,
    account: Account,
    pk: int,
    phone_numbers: list[str],
    actor: AbstractBaseUser | None = None,
) -> list[Message]:
    """Send the campaign's message to up to five numbers now; the messages sent."""
    campaign = campaign_get(account=account, pk=pk)
    if not (campaign.text or campaign.template_id):
        raise DomainError(
            {"text": _("Compose the message before a test send.")},
            code=CampaignErrorCode.MESSAGE_REQUIRED,
        )
    numbers = _numbers(account, phone_numbers)
    contacts = Contact.objects.filter(
        contact_list_id=campaign.contact_list_id, status=Contact.Status.VALID
    )
    first = contacts.order_by("id").first()
    own = {c.phone: c for c in contacts.filter(phone__in=[n for n, _c in numbers])}
    book = PriceBook(channel=campaign.channel, volume=0)
    try:
        route = route_resolve(account_id=account.pk, channel=campaign.channel)
    except NoRoute as exc:
        raise DomainError(
            {"gateway": _("Enable a route for this channel on the Channels page.")},
            status_code=409,
        ) from exc
    token, now = uuid4(), timezone.now()
    template = campaign_template(campaign)
    messages = []
    for phone, country in numbers:
        contact = own.get(phone, first)
        payload = None
        if template is not None:
            text, payload = template.render(_values(contact))
        else:
            text = render(campaign.text or campaign.template_id, _values(contact))
        parts = segments.parts(text, "UCS-2" if campaign.unicode else None)
        if campaign.channel != Channel.SMS:
            parts = 1
        unit = book.unit_price(country)
        messages.append(
            Message(
                account=account,
                test_of=campaign,
                contact_id=contact.pk if contact else None,
                phone=phone,
                country=country,
                channel=campaign.channel,
                sender=campaign.sender,
                text=text,
                payload=payload,
                parts=parts,
                encoding="GSM-7"
                if segments.is_gsm7(text) and not campaign.unicode
                else "UCS-2",
                unit_price=unit,
                price=unit * parts,
                gateway=route.key,
                client_ref=reference_new(),
                claim_token=token,
                claimed_at=now,
            )
        )
    total = to_cents(sum((m.price for m in messages), Decimal("0")))
    reference = f"{campaign.reference}:test:{token.hex[:12]}"
    with transaction.atomic():
        Message.objects.bulk_create(messages)
        if total and not campaign.simulation:
            credit_reserve(
                account=account, amount=total, reference=reference, actor=actor
            )
    dispatch.messages_submit(
        claim=Claim(token=token, ids=[m.pk for m in messages]),
        gateway=adapter_for(route),
        account_id=account.pk,
    )
    ids = [m.pk for m in messages]
    if total and not campaign.simulation:
        _settle(account=account, ids=ids, total=total, reference=reference)
    return list(Message.objects.filter(id__in=ids).order_by("id"))


def _settle(
    *,
    account: Account,
    ids: list[int],
    total: Decimal,
    reference: str,
) -> None:
    """Capture what the route took, release the rest of the test's reservation."""
    taken = sum(
        Message.objects.filter(id__in=ids, status__in=SUBMITTED).values_list(
            "price", flat=True
        ),
        Decimal("0"),
    )
    capture = min(to_cents(taken), total)
    if capture:
        credit_capture(account=account, amount=capture, reference=reference)
    if total - capture:
        credit_release(account=account, amount=total - capture, reference=reference)


def trial_messages(campaign: Campaign) -> list[Message]:
    """The campaign's latest test sends, newest first, with their current status."""
    return list(campaign.test_messages.order_by("-id")[:10])


def test_results(*, account: Account, pk: int, ids: list[int]) -> list[Message]:
    """The campaign's test messages among `ids`, as they stand now, oldest first."""
    campaign = campaign_get(account=account, pk=pk)
    return list(
        Message.objects.filter(
            account=account, test_of=campaign, id__in=ids[:MAX_NUMBERS]
        ).order_by("id")
    )
