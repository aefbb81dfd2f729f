from django.urls import path

from contacts.views import imports, lists, optouts

app_name = "contacts"
urlpatterns = [
    path("", lists.lists, name="lists"),
    path("lists/<int:pk>/", lists.list_detail, name="list"),
    path("lists/<int:pk>/export.csv", lists.list_export, name="list_export"),
    path(
        "lists/<int:pk>/export.xlsx",
        lists.list_export,
        {"fmt": "xlsx"},
        name="list_export_xlsx",
    ),
    path("lists/<int:pk>/delete/", lists.list_delete, name="list_delete"),
    path("contacts/<int:pk>/delete/", lists.contact_delete_view, name="contact_delete"),
    path("upload/", imports.upload, name="upload"),
    path("imports/<int:pk>/columns/", imports.columns, name="import_columns"),
    path("imports/<int:pk>/", imports.import_detail, name="import"),
    path("imports/<int:pk>/errors.csv", imports.import_errors, name="import_errors"),
    path(
        "imports/<int:pk>/errors.xlsx",
        imports.import_errors,
        {"fmt": "xlsx"},
        name="import_errors_xlsx",
    ),
    path("opt-outs/", optouts.optouts, name="optouts"),
    path("opt-outs/import/", optouts.optouts_import_view, name="optouts_import"),
    path("opt-outs/<int:pk>/delete/", optouts.optout_delete, name="optout_delete"),
]
