"""A cheaper PostgreSQL check of purchase lines' references: one query, and a lock instead of row locks.

Migration 0007's statement trigger spent about 6 s per million inserted lines on this machine: it copied the
distinct reference combinations into a temporary table, sorted them in 4 MB of work_mem, and locked every referenced
catalog row FOR KEY SHARE one by one (300,000 prices for the bench upload). Now:

- One query groups the statement's rows once (in memory: work_mem 64 MB for the trigger alone) and anti-joins each
  reference column with its table. Large statements hash-join (a nested loop over 300,000 prices costs seconds);
  small ones keep the planner's choice.
- Instead of row locks, writers of lines and deleters of referenced rows meet on one transaction-level advisory lock
  (`LOCK` in reports/db/line_references.py): a statement writing lines takes it shared, a statement
  deleting rows that lines may reference takes it exclusive before looking for lines that use them. READ COMMITTED
  gives each statement of the trigger a fresh snapshot, so:
  - a delete that waited for a writer sees the writer's committed lines and refuses (SQLSTATE 23503);
  - a writer that waited for a delete sees the row gone and refuses.
  A delete of referenced rows therefore waits for uploads in flight (seconds), and deletes are rare staff actions.
  A transaction that writes lines and then deletes referenced rows should take the lock exclusive first
  (`line_references_lock()`), or two such transactions could deadlock upgrading it.
- A delete statement that removed no row takes no lock (an upload's processing starts by deleting its old lines).

SQLite is unchanged (row triggers; one writer at a time anyway).
"""

from django.db import migrations

from reports.db.line_references import CHECK_FUNCTIONS, FIRST_FUNCTIONS, REFERENCES


def _install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CHECK_FUNCTIONS, params=None)


def _restore(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":  # 0007's functions; the triggers stay as they are
        values = ", ".join(f"('{column}', '{table}')" for column, table in REFERENCES)
        schema_editor.execute(FIRST_FUNCTIONS % {"references": values}, params=None)


class Migration(migrations.Migration):
    dependencies = [("reports", "0008_savings_summary_no_row_keys")]

    operations = [migrations.RunPython(_install, _restore)]
