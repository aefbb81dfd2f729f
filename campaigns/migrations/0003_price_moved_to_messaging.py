# The price list now belongs to messaging (its migration 0001 takes the model over);
# only Django's state forgets it here, the table and its rows stay as they are.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0002_campaign_campaignevent_and_more"),
        ("messaging", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Price")],
            database_operations=[],
        ),
    ]
