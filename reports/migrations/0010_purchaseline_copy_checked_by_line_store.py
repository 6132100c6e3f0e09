"""A COPY of purchase lines whose references the line store checked itself skips the insert trigger's check.

The statement trigger (0007, made one query in 0009) groups every row of the statement again to find the distinct
references: about 1.5 s of PostgreSQL's time for a million-line upload, after the last row is in. The line store
(`reports.services.line_store._copy`) already has those ids in hand while it sends the rows, so for its COPY:

- it sets the transaction-local setting `gpo.line_references_checked` to 'copy' right before the COPY;
- this trigger, on an INSERT that finds it set, clears it and returns: the skip covers that one statement only;
- after the COPY the line store takes the reference lock shared (as the trigger would), fails if the setting was
  not cleared (the trigger did not run), and anti-joins the distinct ids it sent with their tables, raising the
  trigger's IntegrityError if one is missing.

Every other INSERT and every UPDATE of lines is still checked by the trigger, and deletes of referenced rows still
meet writers on the lock, so the guarantees of 0009 hold. SQLite is unchanged (row triggers).
"""

import importlib

from django.db import migrations

_0009 = importlib.import_module("reports.migrations.0009_purchaseline_reference_check_lock")
# Transaction-local; reports.services.line_store.LINE_REFERENCES_CHECKED holds the same name.
SETTING = "gpo.line_references_checked"

SKIP_CHECKED_COPY = f"""    IF TG_OP = 'INSERT' AND current_setting('{SETTING}', true) = 'copy' THEN
        PERFORM set_config('{SETTING}', '', true);
        RETURN NULL;
    END IF;
"""


def _install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_0009.references_check_function(SKIP_CHECKED_COPY), params=None)


def _restore(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_0009.references_check_function(), params=None)


class Migration(migrations.Migration):
    dependencies = [("reports", "0009_purchaseline_reference_check_lock")]

    operations = [migrations.RunPython(_install, _restore)]
