"""A failed upload no longer blocks its file (DESIGN.md section 5): the unique (practice, sha256) holds only for
uploads that are not failed. Removing the old constraint rebuilds the uploads table on SQLite: the lines' reference
triggers (0007) are taken off for the rebuild and installed again, as in 0014.
"""

from django.db import migrations, models

from reports.db.line_references import sqlite_triggers_install, sqlite_triggers_remove



class Migration(migrations.Migration):
    dependencies = [("reports", "0014_upload_public_id")]

    operations = [
        migrations.RunPython(sqlite_triggers_remove, sqlite_triggers_install),
        migrations.RemoveConstraint(model_name="purchaseupload", name="upload_unique_file_per_practice"),
        migrations.AddConstraint(
            model_name="purchaseupload",
            constraint=models.UniqueConstraint(
                condition=~models.Q(status="failed"),
                fields=("practice", "sha256"),
                name="upload_unique_live_file_per_practice",
            ),
        ),
        migrations.RunPython(sqlite_triggers_install, sqlite_triggers_remove),
    ]
