"""Uploads get a random public id (SECURITY.md item 16): URLs and API answers stop showing sequential integers.

Three steps, as Django's docs do it for a unique field on a table with rows: add it nullable, give every existing
upload its own value, then make it unique and required. Making it unique rebuilds the uploads table on SQLite, and
SQLite refuses to rename the rebuilt table while the lines' reference triggers (0007) name it: they are taken off
for the rebuild and installed again.
"""

import uuid

from django.db import migrations, models

from reports.db.line_references import sqlite_triggers_install, sqlite_triggers_remove


def public_ids_fill(apps, schema_editor):
    upload_model = apps.get_model("reports", "PurchaseUpload")
    for upload in upload_model.objects.filter(public_id__isnull=True).only("pk").iterator():
        upload_model.objects.filter(pk=upload.pk).update(public_id=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [("reports", "0013_lines_without_invoice_index")]

    operations = [
        migrations.AddField(
            model_name="purchaseupload",
            name="public_id",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(public_ids_fill, migrations.RunPython.noop),
        migrations.RunPython(sqlite_triggers_remove, sqlite_triggers_install),
        migrations.AlterField(
            model_name="purchaseupload",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.RunPython(sqlite_triggers_install, sqlite_triggers_remove),
    ]
