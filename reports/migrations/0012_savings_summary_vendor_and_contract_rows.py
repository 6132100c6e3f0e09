"""Vendor summary rows also carry the contract, and answer contract groupings; contract rows are gone.

A contract belongs to one vendor, so rows keyed by both are hardly more than vendor rows alone, and a million-line
upload adds about 40 % fewer summary rows. Summaries built before cannot be split by contract: they are dropped,
and the figures read the lines until the next refresh rebuilds each practice's (every upload and `reconcile` run
makes one; `reconcile` rebuilds all).
"""

from django.db import migrations, models


def summaries_drop(apps, schema_editor):
    # Every summary row goes, as in 0005 when day rows came: the figures read the lines until the next refresh.
    apps.get_model("reports", "SavingsSummary").objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0011_lines_by_date_through_upload_spans'),
    ]

    operations = [
        migrations.RunPython(summaries_drop, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='savingssummary',
            name='breakdown',
            field=models.CharField(choices=[('vendor', 'Vendor and contract'), ('category', 'Category')], max_length=8),
        ),
    ]
