from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.account_detail, name="detail"),
    path("send-window/", views.account_send_window, name="send_window"),
    path("api-keys/", views.api_keys, name="api_keys"),
    path("api-keys/<int:pk>/revoke/", views.api_key_revoke, name="api_key_revoke"),
    path("switch/", views.switch_account, name="switch"),
]
