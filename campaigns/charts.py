"""The live page's charts, drawn on the server as SVG by pygal (no script, no CDN)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from itertools import accumulate

import pygal
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from pygal.style import Style

from campaigns.stats import CampaignStats
from messaging.models import MessageStatus as S
from messaging.tallies import timeline_for

_STYLE = Style(
    background="transparent",
    plot_background="transparent",
    font_family="system-ui, sans-serif",
    colors=("#2563eb", "#16a34a", "#dc2626", "#9ca3af"),
    label_font_size=11,
    major_label_font_size=11,
    legend_font_size=12,
)
_SENT = {S.SUBMITTED, S.REJECTED, S.FAILED}
_FAILED = {S.UNDELIVERED, S.EXPIRED, S.REJECTED, S.FAILED}
_OPTIONS = {
    "style": _STYLE,
    "js": [],  # pygal's tooltips load script from the web: none here
    "disable_xml_declaration": True,
    "height": 260,
    "legend_at_bottom": True,
    "show_y_guides": True,
}


def progress_chart(campaign_id: int) -> str:
    """Cumulative sent, delivered and failed messages per minute, as SVG."""
    points: dict = defaultdict(lambda: [0, 0, 0])
    for minute, status, count in timeline_for(campaign_id):
        row = points[minute]
        row[0] += count if status in _SENT else 0
        row[1] += count if status == S.DELIVERED else 0
        row[2] += count if status in _FAILED else 0
    chart = pygal.Line(**_OPTIONS, x_label_rotation=0, show_minor_x_labels=False)
    minutes = sorted(points)
    chart.x_labels = [
        timezone.localtime(minute).strftime("%H:%M") for minute in minutes
    ]
    chart.x_labels_major = chart.x_labels[:: max(1, len(minutes) // 6)]
    failed = pgettext("messages", "Failed")
    for i, label in enumerate((_("Sent"), _("Delivered"), failed)):
        chart.add(label, list(accumulate(points[m][i] for m in minutes)))
    return chart.render(is_unicode=True)


def outcome_chart(stats: CampaignStats) -> str:
    """Delivered, failed and still waiting, as an SVG donut."""
    chart = pygal.Pie(**_OPTIONS, inner_radius=0.55)
    chart.add(_("Sent, awaiting report"), stats.awaiting)
    chart.add(_("Delivered"), stats.delivered)
    chart.add(pgettext("messages", "Failed"), stats.failed)
    chart.add(_("Not sent yet"), stats.queued)
    return chart.render(is_unicode=True)


def forecast_chart(forecast: dict) -> str:
    """Expected sends per hour (the quote's forecast), as SVG bars; hours are
    shown in the current time zone (the account's)."""
    hours = [
        (datetime.fromisoformat(hour), n) for hour, n in forecast.get("perHour", [])
    ]
    chart = pygal.Bar(
        **{**_OPTIONS, "height": 200, "show_legend": False},
        x_label_rotation=0,
        show_minor_x_labels=False,
    )
    chart.x_labels = [
        timezone.localtime(hour).strftime("%a %H:00") for hour, _n in hours
    ]
    chart.x_labels_major = chart.x_labels[:: max(1, len(hours) // 6)]
    chart.add(_("Messages per hour"), [n for _hour, n in hours])
    return chart.render(is_unicode=True)
