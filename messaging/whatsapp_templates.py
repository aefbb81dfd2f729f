"""WhatsApp message templates: synced from Meta, picked by campaigns, filled per recipient.

A business-initiated WhatsApp message must be a template Meta approved. The
account's templates are listed from `GET /{version}/{waba-id}/message_templates`
(paged by `cursors.after`) and stored per route; only APPROVED ones may be
chosen. A campaign names its template as the API always did (`templateId`: a
name, or `name:language`) and maps each variable `{{1}}`..`{{n}}` to a list
column; sending renders the parameters from each recipient's own row
(`TemplateSend.render`), so the message keeps the exact parameters it was sent
with even if the list changes later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.digits import ascii_digits
from accounts.errors import DomainError
from accounts.models import Account
from messaging.gateways.base import RouteSpec
from messaging.gateways.whatsapp_cloud.gateway import WhatsAppCloudGateway, meta_error
from messaging.models import WhatsAppTemplate
from messaging.personalization import placeholders, render
from messaging.routes import route_get, route_spec

# When no template is synced, a bare name is sent in this language.
DEFAULT_LANGUAGE = "en_US"
PAGE_SIZE = 100
# Meta's templates have a handful of {{n}}; a send builds one parameter per number
# up to the highest mapped, so a mapping is bounded before it is stored.
MAX_TEMPLATE_VARIABLES = 100
MAX_PAGES = 100  # 10,000 templates: Meta allows 250 a WABA, 6,000 once verified
_FIELDS = "id,name,language,status,category,components"


@dataclass(frozen=True)
class SyncResult:
    total: int
    approved: int
    removed: int


def _body(components: list[dict[str, Any]]) -> str:
    return next(
        (str(c.get("text") or "") for c in components if c.get("type") == "BODY"), ""
    )


def _fetch(gateway: WhatsAppCloudGateway) -> list[dict[str, Any]]:
    """Every template of the WABA, page after page.

    The next page is asked with our own URL and `after` cursor, not by calling
    `paging.next` as given: that URL would receive our access token wherever it
    pointed. Meta leaves `next` out on the last page.
    """
    settings = gateway.settings
    if not settings.wabaId:
        raise DomainError({"wabaId": _("Set the WhatsApp Business account id first.")})
    url = f"{gateway.api_url}/{settings.wabaId}/message_templates"
    params: dict[str, Any] = {"fields": _FIELDS, "limit": PAGE_SIZE}
    items: list[dict[str, Any]] = []
    with gateway.client() as client:
        for _page in range(MAX_PAGES):
            try:
                response = client.get(url, params=params)
            except httpx.TransportError as exc:
                raise DomainError(
                    {
                        "templates": _("WhatsApp Cloud cannot be reached: %(error)s")
                        % {"error": exc}
                    },
                    status_code=502,
                ) from exc
            if not response.is_success:
                code, reason = meta_error(response)
                raise DomainError(
                    {
                        "templates": _(
                            "WhatsApp Cloud refused the list (%(code)s): %(reason)s"
                        )
                        % {"code": code or response.status_code, "reason": reason}
                    },
                    status_code=502,
                )
            page = response.json()
            items.extend(page.get("data") or [])
            paging = page.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                break
            params = {**params, "after": after}
    return items


def templates_sync(*, account_id: int, spec: RouteSpec) -> SyncResult:
    """Replace the route's stored templates with Meta's current list.

    One upsert for all of them and one delete of those Meta no longer lists,
    in one transaction: the picker never sees half a sync.
    """
    gateway = WhatsAppCloudGateway(spec)
    items = _fetch(gateway)
    now = timezone.now()
    rows = {}
    for item in items:
        components = list(item.get("components") or [])
        body = _body(components)
        row = WhatsAppTemplate(
            account_id=account_id,
            route_key=spec.key,
            name=str(item.get("name") or "")[:512],
            language=str(item.get("language") or "")[:15],
            category=str(item.get("category") or "")[:20],
            status=str(item.get("status") or "")[:20],
            provider_id=str(item.get("id") or "")[:40],
            components=components,
            body=body,
            variables=len(placeholders(body)),
            synced_at=now,
        )
        if row.name and row.language:
            rows[(row.name, row.language)] = row
    with transaction.atomic():
        WhatsAppTemplate.objects.bulk_create(
            rows.values(),
            update_conflicts=True,
            unique_fields=["account", "route_key", "name", "language"],
            update_fields=[
                "category",
                "status",
                "provider_id",
                "components",
                "body",
                "variables",
                "synced_at",
            ],
        )
        removed, _kinds = (
            WhatsAppTemplate.objects.filter(account_id=account_id, route_key=spec.key)
            .exclude(synced_at=now)
            .delete()
        )
    approved = sum(1 for r in rows.values() if r.is_selectable)
    return SyncResult(total=len(rows), approved=approved, removed=removed)


def templates_sync_route(*, account: Account, pk: int) -> SyncResult:
    """Sync the templates of the account's WhatsApp Cloud route `pk` (404 if not ours)."""
    route = route_get(account=account, pk=pk)
    if route.kind != WhatsAppCloudGateway.kind:
        raise DomainError(
            {"kind": _("Only whatsapp-cloud routes have message templates.")}
        )
    return templates_sync(account_id=account.pk, spec=route_spec(route.key))


def route_templates(*, account: Account, pk: int) -> list[WhatsAppTemplate]:
    """The synced templates of the account's route `pk` (404 if not ours)."""
    route = route_get(account=account, pk=pk)
    return list(templates_for(account_id=account.pk, route_key=route.key))


def templates_for(
    *, account_id: int, route_key: str | None = None
) -> QuerySet[WhatsAppTemplate]:
    """The account's synced templates (of one route, if given), by name."""
    templates = WhatsAppTemplate.objects.filter(account_id=account_id)
    if route_key is not None:
        templates = templates.filter(route_key=route_key)
    return templates.order_by("name", "language", "route_key")


def templates_approved(*, account_id: int) -> list[WhatsAppTemplate]:
    """The templates a campaign may use, one per name and language."""
    approved = templates_for(account_id=account_id).filter(
        status=WhatsAppTemplate.APPROVED
    )
    unique: dict[str, WhatsAppTemplate] = {}
    for template in approved:  # the same template synced through two routes
        unique.setdefault(template.reference, template)
    return list(unique.values())


def template_resolve(*, account_id: int, template_id: str) -> WhatsAppTemplate | None:
    """The approved template `template_id` names ("name" or "name:language").

    None when the account has no synced template at all: a name is then taken
    on trust, as before templates were synced. Otherwise a name that is not
    approved, or that exists in several languages without one given, is refused.
    """
    if not WhatsAppTemplate.objects.filter(account_id=account_id).exists():
        return None
    name, _sep, language = template_id.strip().partition(":")
    matches = [
        t
        for t in templates_approved(account_id=account_id)
        if t.name == name and (not language or t.language == language)
    ]
    if not matches:
        raise DomainError(
            {
                "template_id": _("No approved WhatsApp template is called %(name)s.")
                % {"name": template_id}
            }
        )
    if len(matches) > 1:
        raise DomainError(
            {
                "template_id": _(
                    "%(name)s exists in %(languages)s: write name:language."
                )
                % {"name": name, "languages": ", ".join(t.language for t in matches)}
            }
        )
    return matches[0]


@dataclass(frozen=True)
class TemplateSend:
    """A campaign's template, ready to be filled for each recipient.

    `mapping` says which column fills each variable ({"1": "first_name"});
    `body` is empty when the template was never synced (then only the
    parameters are known, and the stored text is the template's name).
    """

    name: str
    language: str
    body: str = ""
    variables: int = 0
    mapping: Mapping[str, str] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        """The list columns the parameters come from, lower-cased, without repeats."""
        return list(
            dict.fromkeys(
                str(self.mapping.get(str(i), "")).lower()
                for i in range(1, self.variables + 1)
                if self.mapping.get(str(i))
            )
        )

    def parameters(self, values: Mapping[str, str | None]) -> list[str]:
        return [
            str(values.get(str(self.mapping.get(str(i), "")).lower()) or "")
            for i in range(1, self.variables + 1)
        ]

    def render(self, values: Mapping[str, str | None]) -> tuple[str, dict[str, Any]]:
        """(the text the recipient reads, the route's payload) for one recipient."""
        parameters = self.parameters(values)
        numbered = {str(i): p for i, p in enumerate(parameters, start=1)}
        text = render(self.body, numbered) if self.body else self.name
        payload = {
            "template": {
                "name": self.name,
                "language": self.language,
                "parameters": parameters,
            }
        }
        return text, payload


def template_send(
    *, template_id: str, language: str, mapping: Mapping[str, str], account_id: int
) -> TemplateSend:
    """What a campaign's template settings send: the synced template when known."""
    name = template_id.strip().partition(":")[0]
    language = language or template_id.partition(":")[2] or DEFAULT_LANGUAGE
    template = (
        templates_for(account_id=account_id)
        .filter(name=name, language=language, status=WhatsAppTemplate.APPROVED)
        .first()
    )
    if template is None:
        numbered = [int(k) for k in mapping if ascii_digits(str(k))]
        return TemplateSend(
            name=name,
            language=language,
            variables=max(numbered, default=0),
            mapping=mapping,
        )
    return TemplateSend(
        name=name,
        language=language,
        body=template.body,
        variables=template.variables,
        mapping=mapping,
    )


def mapping_check(*, template: WhatsAppTemplate, mapping: Mapping[str, str]) -> None:
    """Refuse a mapping that leaves a variable of `template` without a column."""
    missing = [
        f"{{{{{i}}}}}"
        for i in range(1, template.variables + 1)
        if not str(mapping.get(str(i)) or "").strip()
    ]
    if missing:
        raise DomainError(
            {
                "template_variables": _("Choose a list column for %(variables)s.")
                % {"variables": ", ".join(missing)}
            }
        )
