"""Campaign pages: the list, the wizard's steps, a campaign's page, the HTMX
pieces of the composer and of the confirm step, and recurring campaigns."""

from django.urls import path

from campaigns.views import (
    compose,
    confirm,
    cost,
    live,
    pages,
    recipients,
    recurring,
    setup,
    templates,
)

app_name = "campaigns"
urlpatterns = [
    path("", pages.campaign_list, name="list"),
    path("new/", setup.campaign_new, name="new"),
    path("recurring/", recurring.recurring_page, name="recurring"),
    path("recurring/preview/", recurring.recurring_preview, name="recurring_preview"),
    path(
        "recurring/<int:pk>/pause/",
        recurring.recurring_pause_view,
        name="recurring_pause",
    ),
    path(
        "recurring/<int:pk>/resume/",
        recurring.recurring_resume_view,
        name="recurring_resume",
    ),
    path("recurring/<int:pk>/end/", recurring.recurring_end_view, name="recurring_end"),
    path(
        "channels/<int:pk>/templates/sync/",
        templates.templates_sync_view,
        name="templates_sync",
    ),
    path("<int:pk>/", pages.campaign_detail, name="detail"),
    path("<int:pk>/cancel/", pages.campaign_cancel_view, name="cancel"),
    path("<int:pk>/live/", live.campaign_live, name="live"),
    path("<int:pk>/chart/<slug:chart>.svg", live.campaign_chart, name="chart"),
    path(
        "<int:pk>/messages.csv", live.campaign_messages_export, name="messages_export"
    ),
    path("<int:pk>/pause/", live.campaign_pause_view, name="pause"),
    path("<int:pk>/resume/", live.campaign_resume_view, name="resume"),
    path("<int:pk>/stop/", live.campaign_stop_view, name="stop"),
    path("<int:pk>/setup/", setup.campaign_setup, name="setup"),
    path("<int:pk>/message/", compose.campaign_message, name="message"),
    path("<int:pk>/counter/", compose.campaign_counter, name="counter"),
    path("<int:pk>/preview/", compose.campaign_preview, name="preview"),
    path("<int:pk>/composer/", compose.campaign_composer, name="composer"),
    path("<int:pk>/recipients/", recipients.campaign_recipients, name="recipients"),
    path("<int:pk>/cost/", cost.campaign_cost, name="cost"),
    path("<int:pk>/fix/", cost.campaign_fix, name="fix"),
    path("<int:pk>/test/", cost.campaign_test_send_view, name="test_send"),
    path("<int:pk>/test/results/", cost.campaign_test_results, name="test_results"),
    path("<int:pk>/confirm/", confirm.campaign_confirm_step, name="confirm"),
    path(
        "<int:pk>/confirm/check/",
        confirm.campaign_schedule_check,
        name="schedule_check",
    ),
]
