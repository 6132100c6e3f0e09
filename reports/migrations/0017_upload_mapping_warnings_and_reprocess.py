"""An upload keeps the mapping asked for (and the header row, when detection failed), how sure each mapped field was
and its warnings (DESIGN.md section 5); reprocessing is audited. Adding columns with a default rebuilds the uploads
table on SQLite: the lines' reference triggers (0007) are taken off for the rebuild and installed again, as in 0014.
"""

from django.db import migrations, models

from reports.db.line_references import sqlite_triggers_install, sqlite_triggers_remove



def requested_mapping_from_column_mapping(apps, schema_editor):
    """Until now an upload kept the mapping the user gave in column_mapping until it was processed."""
    upload_model = apps.get_model("reports", "PurchaseUpload")
    for upload in upload_model.objects.exclude(status="done").only("column_mapping").iterator():
        if upload.column_mapping:
            upload_model.objects.filter(pk=upload.pk).update(mapping_requested=dict(upload.column_mapping))


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0016_upload_attempts_and_retry'),
    ]

    operations = [
        migrations.RunPython(sqlite_triggers_remove, sqlite_triggers_install),
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
        migrations.RunPython(sqlite_triggers_install, sqlite_triggers_remove),
        migrations.RunPython(requested_mapping_from_column_mapping, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='purchaseupload',
            name='column_mapping',
            field=models.JSONField(blank=True, default=dict, help_text='Field -> header text used.'),
        ),
        migrations.AlterField(
            model_name='uploadauditentry',
            name='action',
            field=models.CharField(choices=[('received', 'Received'), ('processed', 'Processed'), ('failed', 'Failed'), ('retried', 'Retried'), ('deleted', 'Deleted'), ('reprocessed', 'Queued again with a corrected mapping')], max_length=12),
        ),
    ]
