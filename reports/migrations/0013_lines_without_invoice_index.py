"""The lines' (practice, invoice) index goes: it cost a million-line upload's COPY 2-5 s (random text keys).

Lines of a practice are reached through its uploads, and the repeats of DESIGN §4 rule 9 (same date) through the
practice's earlier uploads whose recorded date span meets the new lines' dates (migration 0011), filtered by invoice
in the database.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0012_savings_summary_vendor_and_contract_rows'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='purchaseline',
            name='line_invoice_idx',
        ),
    ]
