"""Uploads count their processing runs (a file that keeps killing workers fails instead of looping) and the audit
records retries. Adding a column with a default rebuilds the uploads table on SQLite: the lines' reference triggers
(0007) are taken off for the rebuild and installed again, as in 0014.
"""

import importlib

from django.db import migrations, models

_0014 = importlib.import_module("reports.migrations.0014_upload_public_id")


class Migration(migrations.Migration):
    dependencies = [("reports", "0015_upload_failed_file_never_blocks")]

    operations = [
        migrations.RunPython(_0014.sqlite_triggers_remove, _0014.sqlite_triggers_install),
        migrations.AddField(
            model_name="purchaseupload",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.RunPython(_0014.sqlite_triggers_install, _0014.sqlite_triggers_remove),
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
