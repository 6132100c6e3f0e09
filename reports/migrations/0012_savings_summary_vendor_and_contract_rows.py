"""Vendor summary rows also carry the contract, and answer contract groupings; contract rows are gone.

A contract belongs to one vendor, so rows keyed by both are hardly more than vendor rows alone, and a million-line
upload adds about 40 % fewer summary rows. Summaries built before cannot be split by contract: they are dropped,
and the figures read the lines until the next refresh rebuilds each practice's (every upload and `reconcile` run
makes one; `reconcile` rebuilds all).
"""

import importlib

from django.db import migrations, models

# Drops every summary row, as 0005 did when day rows came.
summaries_drop = importlib.import_module("reports.migrations.0005_savings_summary_day").summaries_drop


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
