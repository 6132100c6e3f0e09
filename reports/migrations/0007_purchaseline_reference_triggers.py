"""Referential integrity of purchase lines, checked by the database once per statement instead of once per row.

PurchaseLine's foreign keys are declared with db_constraint=False (migration 0006): PostgreSQL's per-row checks
cost about 45 s at the commit of a million-line upload. These triggers keep the same guarantees set-based:

- PostgreSQL: after each INSERT or UPDATE statement on the lines, the distinct referenced ids are locked FOR KEY
  SHARE (as a foreign key locks them, so a concurrent delete waits for this transaction) and any id with no row
  fails the statement (SQLSTATE 23503). After each DELETE statement on a referenced table, deleting a row that
  lines still reference fails the same way.
- SQLite: a row trigger checks each inserted or updated line's references (SQLite has no statement triggers).
  Deletes of referenced rows are left to the ORM's on_delete (PROTECT / CASCADE / SET_NULL): a row trigger there
  would fire during Django's test flush, which empties tables in no particular order.

SQLite drops a table's triggers when a migration rebuilds the table: tests/reports/test_line_integrity.py fails
then (a later migration that alters the lines table must install them again).
"""

from django.db import migrations

from reports.db.line_references import (
    postgresql_install,
    postgresql_remove,
    run_statements,
    sqlite_install,
    sqlite_remove,
)


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0001_initial"),
        ("members", "0001_initial"),
        ("reports", "0006_purchaseline_lean_indexes"),
        ("vendors", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(
            run_statements({"postgresql": postgresql_install, "sqlite": sqlite_install}),
            run_statements({"postgresql": postgresql_remove, "sqlite": sqlite_remove}),
        ),
    ]
