"""A failed upload no longer blocks its file (DESIGN.md section 5): the unique (practice, sha256) holds only for
uploads that are not failed. Removing the old constraint rebuilds the uploads table on SQLite: the lines' reference
triggers (0007) are taken off for the rebuild and installed again, as in 0014.
"""

import importlib

from django.db import migrations, models

_0014 = importlib.import_module("reports.migrations.0014_upload_public_id")


class Migration(migrations.Migration):
    dependencies = [("reports", "0014_upload_public_id")]

    operations = [
        migrations.RunPython(_0014.sqlite_triggers_remove, _0014.sqlite_triggers_install),
        migrations.RemoveConstraint(model_name="purchaseupload", name="upload_unique_file_per_practice"),
        migrations.AddConstraint(
            model_name="purchaseupload",
            constraint=models.UniqueConstraint(
                condition=~models.Q(status="failed"),
                fields=("practice", "sha256"),
                name="upload_unique_live_file_per_practice",
            ),
        ),
        migrations.RunPython(_0014.sqlite_triggers_install, _0014.sqlite_triggers_remove),
    ]
