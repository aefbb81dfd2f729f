"""The `unaccent` extension behind accent-insensitive search (`accounts.search`).

A no-op on SQLite, where the function is registered on each connection.
"""

from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_h_smart_windows")]

    operations = [UnaccentExtension()]
