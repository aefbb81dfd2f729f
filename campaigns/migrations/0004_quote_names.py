# Quote columns named for what they hold (UC-006): `invalid_recipients` held only
# the malformed rows, `total_contacts` who gets the message; and a quote version.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0003_price_moved_to_messaging")]

    operations = [
        migrations.RenameField(
            model_name="campaign",
            old_name="invalid_recipients",
            new_name="malformed_recipients",
        ),
        migrations.RenameField(
            model_name="campaign", old_name="total_contacts", new_name="recipient_count"
        ),
        migrations.AddField(
            model_name="campaign",
            name="quote_version",
            field=models.PositiveIntegerField(default=0),
        ),
    ]
