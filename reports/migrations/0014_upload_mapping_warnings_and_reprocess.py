"""An upload keeps the mapping asked for, how sure each mapped field was and its warnings; a failed upload no longer
blocks its file (the same-file constraint holds for done and in-flight uploads only). Reprocessing is audited.

On SQLite, adding a field with a default rebuilds the upload table, which the line table's reference triggers
(migration 0007) name: they are dropped around the rebuild and installed again, unchanged.
"""

import importlib

from django.conf import settings
from django.db import migrations, models

_TRIGGERS = importlib.import_module("reports.migrations.0007_purchaseline_reference_triggers")


def _sqlite_only(make):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for statement in make():
                schema_editor.execute(statement, params=None)

    return run


sqlite_triggers_drop = _sqlite_only(_TRIGGERS._sqlite_remove)
sqlite_triggers_install = _sqlite_only(_TRIGGERS._sqlite_install)


def requested_mapping_from_column_mapping(apps, schema_editor):
    """Until now an upload kept the mapping the user gave in column_mapping until it was processed."""
    PurchaseUpload = apps.get_model("reports", "PurchaseUpload")
    for upload in PurchaseUpload.objects.exclude(status="done").only("column_mapping").iterator():
        if not upload.column_mapping:
            continue
        upload.mapping_requested = dict(upload.column_mapping)
        upload.save(update_fields=["mapping_requested"])


class Migration(migrations.Migration):

    dependencies = [
        ('members', '0001_initial'),
        ('reports', '0013_lines_without_invoice_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(sqlite_triggers_drop, sqlite_triggers_install),
        migrations.RemoveConstraint(
            model_name='purchaseupload',
            name='upload_unique_file_per_practice',
        ),
        migrations.AddField(
            model_name='purchaseupload',
            name='column_confidence',
            field=models.JSONField(blank=True, default=dict, help_text='Field -> how sure the mapping was: exact, likely or guess.'),
        ),
        migrations.AddField(
            model_name='purchaseupload',
            name='header_row_requested',
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='purchaseupload',
            name='mapping_requested',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name='purchaseupload',
            name='warnings',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(requested_mapping_from_column_mapping, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='purchaseupload',
            name='column_mapping',
            field=models.JSONField(blank=True, default=dict, help_text='Field -> header text used.'),
        ),
        migrations.AlterField(
            model_name='uploadauditentry',
            name='action',
            field=models.CharField(choices=[('received', 'Received'), ('processed', 'Processed'), ('failed', 'Failed'), ('deleted', 'Deleted'), ('reprocessed', 'Queued again with a corrected mapping')], max_length=12),
        ),
        migrations.AddConstraint(
            model_name='purchaseupload',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'failed'), _negated=True), fields=('practice', 'sha256'), name='upload_unique_file_per_practice'),
        ),
        migrations.RunPython(sqlite_triggers_install, sqlite_triggers_drop),
    ]
