"""Reads of lines by date go through each upload's recorded date span instead of a (practice, date) index.

The index cost every upload's COPY about 2 s per million lines (dates arrive in no order, so each line lands on a
random page of it). An upload's lines now record, on the upload, their first and last purchase date; uploads
stored before this migration get theirs from their lines here.
"""

from django.db import migrations, models
from django.db.models import Max, Min


def spans_record(apps, schema_editor):
    upload_model = apps.get_model("reports", "PurchaseUpload")
    spans = (
        apps.get_model("reports", "PurchaseLine")
        .objects.values("upload_id")
        .annotate(first=Min("purchase_date"), last=Max("purchase_date"))
        .order_by()
    )
    for span in spans.iterator():
        upload_model.objects.filter(pk=span["upload_id"]).update(
            first_purchase_date=span["first"], last_purchase_date=span["last"]
        )


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0010_purchaseline_copy_checked_by_line_store'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='purchaseline',
            name='line_practice_date_idx',
        ),
        migrations.AddField(
            model_name='purchaseupload',
            name='first_purchase_date',
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='purchaseupload',
            name='last_purchase_date',
            field=models.DateField(blank=True, null=True),
        ),
        migrations.RunPython(spans_record, migrations.RunPython.noop),
    ]
