"""Per-recipient short links: tracked URLs and the one-click opt-out page.

A campaign's text is prepared once (`links_template`): every URL (with
`track_links`) and every `{{optout_link}}` becomes a marker as long as a real
short link, so quoting and rendering count the parts the recipients will get.
Each recipient's rendered text then gets its own random codes in place of the
markers (`LinkWriter.personalize`), and the link rows are inserted a batch at a
time in the same stream as the messages, keyed by the message's `client_ref`.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import F, Min
from django.utils import timezone

from contacts.models import OptOut, OptOutSource
from messaging.models import LinkKind, LinkTally, Message, TrackedLink
from messaging.tallies import counters_add
from messaging.webhooks import click_event_record

CODE_LENGTH = 10  # base62: 59 bits, not guessable
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}"
_OPTOUT = re.compile(r"\{\{\s*optout_link\s*\}\}", re.IGNORECASE)
_FLUSH = 5000


def short_base() -> str:
    """Where short links point: `MEGAFONO_SHORT_URL`, else our own `/l/`."""
    base = settings.MEGAFONO_SHORT_URL or (
        settings.MEGAFONO_PUBLIC_URL.rstrip("/") + "/l/"
    )
    return base if base.endswith("/") else base + "/"


def new_code() -> str:
    """A random base62 code from the system's CSPRNG."""
    return "".join(secrets.choice(_BASE62) for _ in range(CODE_LENGTH))


def _marker(index: int) -> str:
    """The stand-in code of the text's `index`-th link (-1: the opt-out link)."""
    tail = "Z" * 2 if index < 0 else f"{index:02d}"
    return "0" * (CODE_LENGTH - 2) + tail


@dataclass(frozen=True)
class LinkTemplate:
    """A text with its links replaced by markers, and the URL behind each."""

    text: str
    urls: tuple[str, ...]
    has_optout: bool

    @property
    def is_linked(self) -> bool:
        return bool(self.urls) or self.has_optout


def links_template(text: str, *, track: bool) -> LinkTemplate:
    """Replace each URL (when `track`) and `{{optout_link}}` by a marker link."""
    base = short_base()
    urls: list[str] = []

    def shorten(match: re.Match) -> str:
        url = match.group(0)
        kept = url.rstrip(_TRAILING)
        if len(urls) >= 99 or kept.startswith(base):
            return url
        urls.append(kept)
        return base + _marker(len(urls) - 1) + url[len(kept) :]

    prepared = _URL.sub(shorten, text) if track else text
    has_optout = bool(_OPTOUT.search(prepared))
    prepared = _OPTOUT.sub(base + _marker(-1), prepared)
    return LinkTemplate(text=prepared, urls=tuple(urls), has_optout=has_optout)


@dataclass
class LinkWriter:
    """Gives each recipient's text its own codes and inserts the link rows in
    batches; call `flush` once at the end, in the transaction of the messages."""

    template: LinkTemplate
    account_id: int
    campaign_id: int | None
    pending: list[TrackedLink] = field(default_factory=list)

    def personalize(self, text: str, message_ref: UUID) -> str:
        base = short_base()
        targets = [(i, LinkKind.URL, url) for i, url in enumerate(self.template.urls)]
        if self.template.has_optout:
            targets.append((-1, LinkKind.OPTOUT, ""))
        for index, kind, url in targets:
            marker = base + _marker(index)
            if marker not in text:
                continue
            code = new_code()
            text = text.replace(marker, base + code)
            self.pending.append(
                TrackedLink(
                    code=code,
                    message_ref=message_ref,
                    campaign_id=self.campaign_id,
                    account_id=self.account_id,
                    kind=kind,
                    url=url,
                )
            )
        if len(self.pending) >= _FLUSH:
            self.flush()
        return text

    def flush(self) -> None:
        if self.pending:
            TrackedLink.objects.bulk_create(self.pending, batch_size=_FLUSH)
            self.pending = []


def link_follow(code: str) -> TrackedLink | None:
    """Count a click on a tracked link (the first one's time kept); the link."""
    link = TrackedLink.objects.filter(code=code, kind=LinkKind.URL).first()
    if link is None:
        return None
    with transaction.atomic():
        # The recipient's links, locked: two of them clicked at once are still
        # one unique click.
        theirs = list(
            TrackedLink.objects.select_for_update()
            .filter(message_ref=link.message_ref, kind=LinkKind.URL)
            .order_by("id")
            .values_list("first_clicked_at", flat=True)
        )
        TrackedLink.objects.filter(pk=link.pk).update(clicks=F("clicks") + 1)
        TrackedLink.objects.filter(pk=link.pk, first_clicked_at__isnull=True).update(
            first_clicked_at=timezone.now()
        )
        first = all(clicked is None for clicked in theirs)
        _tally(link.campaign_id, clicks=1, unique_clicks=int(first))
    click_event_record(message_ref=link.message_ref, account_id=link.account_id)
    return link


def _tally(campaign_id: int | None, **changes: int) -> None:
    """Add `changes` to the campaign's link figures (inside the click's transaction)."""
    if campaign_id is not None:
        counters_add(LinkTally, {"campaign_id": campaign_id}, changes)


@dataclass(frozen=True)
class OptOutResult:
    phone: str
    country: str
    already: bool


def link_opt_out(code: str) -> OptOutResult | None:
    """Opt the link's number out of the link's account, at once; None if unknown."""
    link = TrackedLink.objects.filter(code=code, kind=LinkKind.OPTOUT).first()
    if link is None:
        return None
    message = (
        Message.objects.filter(client_ref=link.message_ref)
        .values("phone", "country")
        .first()
    )
    if message is None:
        return None
    with transaction.atomic():
        _row, created = OptOut.objects.get_or_create(
            account_id=link.account_id,
            phone=message["phone"],
            defaults={
                "source": OptOutSource.LINK,
                "note": f"campaign {link.campaign_id}" if link.campaign_id else "",
            },
        )
        TrackedLink.objects.filter(pk=link.pk).update(clicks=F("clicks") + 1)
        first = TrackedLink.objects.filter(
            pk=link.pk, first_clicked_at__isnull=True
        ).update(first_clicked_at=timezone.now())
        if first:
            _tally(link.campaign_id, optouts=1)
    return OptOutResult(
        phone=message["phone"], country=message["country"], already=not created
    )


NO_CLICKS = {"clicks": 0, "unique": 0, "optouts": 0}


def link_stats(campaign_id: int) -> dict[str, int]:
    """Clicks, unique clicks (recipients who clicked) and opt-outs by link."""
    row = (
        LinkTally.objects.filter(campaign_id=campaign_id)
        .values("clicks", "unique_clicks", "optouts")
        .first()
    )
    if row is None:
        return dict(NO_CLICKS)
    return {
        "clicks": row["clicks"],
        "unique": row["unique_clicks"],
        "optouts": row["optouts"],
    }


def clicked_at(message_refs: list[UUID]) -> dict[UUID, datetime]:
    """Each message's first click on any of its tracked links."""
    rows = (
        TrackedLink.objects.filter(
            message_ref__in=message_refs,
            kind=LinkKind.URL,
            first_clicked_at__isnull=False,
        )
        .values_list("message_ref")
        .annotate(first=Min("first_clicked_at"))
        .values_list("message_ref", "first")
    )
    return dict(rows)
