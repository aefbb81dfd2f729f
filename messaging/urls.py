from django.urls import path

from messaging import views

app_name = "messaging"
urlpatterns = [
    path("", views.webhooks_page, name="webhooks"),
    path("<int:pk>/", views.webhook_detail, name="webhook"),
    path("<int:pk>/delete/", views.webhook_delete, name="webhook_delete"),
    path("deliveries/<int:pk>/replay/", views.delivery_replay, name="delivery_replay"),
]
