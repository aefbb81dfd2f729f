from django.urls import path

from dashboard import channels

app_name = "channels"
urlpatterns = [
    path("", channels.channels, name="list"),
    path("new/<str:kind>/", channels.channel_create, name="create"),
    path("<int:pk>/", channels.channel_edit, name="edit"),
    path("<int:pk>/delete/", channels.channel_delete, name="delete"),
    path("<int:pk>/default/", channels.channel_make_default, name="make_default"),
    path("<int:pk>/restore/", channels.channel_restore, name="restore"),
    path("replies/", channels.replies, name="replies"),
]
