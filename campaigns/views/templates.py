"""The "Sync templates" button of a WhatsApp route (on the Channels page).

POST-only: it fetches the route's templates from Meta, says how many are
approved (a flash), and goes back to the page it was pressed on, so the
wizard's template picker lists them at once.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import AccountRequest, account_required
from accounts.errors import DomainError
from campaigns.views.common import go
from messaging.whatsapp_templates import templates_sync_route


def _back(request: AccountRequest) -> str:
    """Where the button was pressed (`next`, same host only), else the campaigns."""
    wanted = request.POST.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse("campaigns:list")


@account_required
@require_POST
def templates_sync_view(request: AccountRequest, pk: int) -> HttpResponse:
    """Sync the templates of the account's WhatsApp route `pk` (404 if not ours)."""
    try:
        result = templates_sync_route(account=request.account, pk=pk)
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _(
                "%(total)d templates synced from WhatsApp, %(approved)d of them "
                "approved and ready to pick."
            )
            % {"total": result.total, "approved": result.approved},
        )
    return go(request, _back(request))
