"""Public pages of the short links: a tracked link's redirect, the opt-out page.

Nobody signs in here: the code in the URL is the only credential, random and
long enough not to be guessed (`messaging.links`).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from messaging.links import link_follow, link_opt_out
from messaging.models import LinkKind, TrackedLink


@never_cache
@require_GET
def short_link(request: HttpRequest, code: str) -> HttpResponse:
    """302 to a tracked link's URL (the click counted), or the opt-out page."""
    kind = TrackedLink.objects.filter(code=code).values_list("kind", flat=True).first()
    if kind == LinkKind.OPTOUT:
        return _opt_out(request, code)
    link = link_follow(code) if kind == LinkKind.URL else None
    if link is None:
        raise Http404
    return HttpResponseRedirect(link.url)


def _opt_out(request: HttpRequest, code: str) -> HttpResponse:
    """Opt the number out at once and say so, in Italian for Italian numbers.

    A GET does it, as the link promises "one click": opting out twice is the same
    as once, and nothing else can be done from here.
    """
    result = link_opt_out(code)
    language = "it" if result and result.country in {"IT", "SM", "VA"} else "en"
    masked = f"{result.phone[:3]}••••{result.phone[-4:]}" if result else ""
    with translation.override(language):
        response = render(
            request,
            "messaging/optout.html",
            {"found": result is not None, "masked": masked, "LANGUAGE_CODE": language},
            status=200 if result else 404,
        )
    response["X-Robots-Tag"] = "noindex"
    return response
