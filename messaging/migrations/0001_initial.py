# The price list moved here from campaigns; its table (campaigns_price) and rows stay.

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [("campaigns", "0002_campaign_campaignevent_and_more")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Price",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "channel",
                            models.CharField(
                                choices=[
                                    ("SMS", "SMS"),
                                    ("RCS", "RCS"),
                                    ("WHATSAPP", "WhatsApp"),
                                ],
                                max_length=10,
                                verbose_name="channel",
                            ),
                        ),
                        (
                            "country",
                            models.CharField(
                                blank=True,
                                help_text="ISO code such as IT; empty for every destination.",
                                max_length=2,
                                verbose_name="destination country",
                            ),
                        ),
                        (
                            "min_volume",
                            models.PositiveIntegerField(
                                default=0,
                                help_text="Applies from this many messages up.",
                                verbose_name="from volume",
                            ),
                        ),
                        (
                            "price",
                            models.DecimalField(
                                decimal_places=4,
                                max_digits=14,
                                verbose_name="price per message or SMS part",
                            ),
                        ),
                        (
                            "currency",
                            models.CharField(
                                default="EUR", max_length=3, verbose_name="currency"
                            ),
                        ),
                    ],
                    options={
                        "db_table": "campaigns_price",
                        "verbose_name": "price",
                        "verbose_name_plural": "price list",
                        "ordering": ["channel", "country", "min_volume"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("channel", "country", "min_volume"),
                                name="one_price_per_tier",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(("price__gt", 0)),
                                name="price_positive",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("channel__in", ["SMS", "RCS", "WHATSAPP"])
                                ),
                                name="price_channel_valid",
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
