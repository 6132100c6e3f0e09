"""A COPY of purchase lines whose references the line store checked itself skips the insert trigger's check.

The statement trigger (0007, made one query in 0009) groups every row of the statement again to find the distinct
references: about 1.5 s of PostgreSQL's time for a million-line upload, after the last row is in. The line store
(`reports.db.copy._copy`) already has those ids in hand while it sends the rows, so for its COPY:

- it sets the transaction-local setting `gpo.line_references_checked` to 'copy' right before the COPY;
- this trigger, on an INSERT that finds it set, clears it and returns: the skip covers that one statement only;
- after the COPY the line store takes the reference lock shared (as the trigger would), fails if the setting was
  not cleared (the trigger did not run), and anti-joins the distinct ids it sent with their tables, raising the
  trigger's IntegrityError if one is missing.

Every other INSERT and every UPDATE of lines is still checked by the trigger, and deletes of referenced rows still
meet writers on the lock, so the guarantees of 0009 hold. SQLite is unchanged (row triggers).
"""

from django.db import migrations

from reports.db.line_references import SKIP_CHECKED_COPY, references_check_function


def _install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(references_check_function(SKIP_CHECKED_COPY), params=None)


def _restore(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(references_check_function(), params=None)


class Migration(migrations.Migration):
    dependencies = [("reports", "0009_purchaseline_reference_check_lock")]

    operations = [migrations.RunPython(_install, _restore)]
