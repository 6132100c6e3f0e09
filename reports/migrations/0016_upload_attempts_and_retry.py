"""Uploads count their processing runs (a file that keeps killing workers fails instead of looping) and the audit
records retries. Adding a column with a default rebuilds the uploads table on SQLite: the lines' reference triggers
(0007) are taken off for the rebuild and installed again, as in 0014.
"""

from django.db import migrations, models

from reports.db.line_references import sqlite_triggers_install, sqlite_triggers_remove



class Migration(migrations.Migration):
    dependencies = [("reports", "0015_upload_failed_file_never_blocks")]

    operations = [
        migrations.RunPython(sqlite_triggers_remove, sqlite_triggers_install),
        migrations.AddField(
            model_name="purchaseupload",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.RunPython(sqlite_triggers_install, sqlite_triggers_remove),
        migrations.AlterField(
            model_name="uploadauditentry",
            name="action",
            field=models.CharField(
                choices=[
                    ("received", "Received"),
                    ("processed", "Processed"),
                    ("failed", "Failed"),
                    ("retried", "Retried"),
                    ("deleted", "Deleted"),
                ],
                max_length=12,
            ),
        ),
    ]
