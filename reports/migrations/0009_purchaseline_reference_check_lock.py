"""A cheaper PostgreSQL check of purchase lines' references: one query, and a lock instead of row locks.

Migration 0007's statement trigger spent about 6 s per million inserted lines on this machine: it copied the
distinct reference combinations into a temporary table, sorted them in 4 MB of work_mem, and locked every referenced
catalog row FOR KEY SHARE one by one (300,000 prices for the bench upload). Now:

- One query groups the statement's rows once (in memory: work_mem 64 MB for the trigger alone) and anti-joins each
  reference column with its table. Large statements hash-join (a nested loop over 300,000 prices costs seconds);
  small ones keep the planner's choice.
- Instead of row locks, writers of lines and deleters of referenced rows meet on one transaction-level advisory lock
  (`LINE_REFERENCES_LOCK` in reports/services/line_store.py): a statement writing lines takes it shared, a statement
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

import importlib

from django.db import migrations

# The references of migration 0007, whose triggers call the functions replaced here.
_0007 = importlib.import_module("reports.migrations.0007_purchaseline_reference_triggers")
LINES = _0007.LINES
REFERENCES = _0007.REFERENCES
# pg_advisory_xact_lock's two keys; reports.services.line_store.LINE_REFERENCES_LOCK holds the same pair.
LOCK = (4_710_213, 1)
# From this many rows a statement's check hash-joins the referenced tables instead of probing their keys.
HASH_FROM_ROWS = 5000


def _missing_query() -> str:
    columns = ", ".join(column for column, _ in REFERENCES)
    probes = "\n            UNION ALL\n".join(
        f"            SELECT '{column}' AS line_column, '{table}' AS referenced_table, r.id FROM "
        f"(SELECT DISTINCT {column} AS id FROM refs WHERE {column} IS NOT NULL) r "
        f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.id = r.id)"
        for column, table in REFERENCES
    )
    return (
        f"WITH refs AS MATERIALIZED (SELECT DISTINCT {columns} FROM changed_lines)\n"
        f"        SELECT * INTO missing FROM (\n{probes}\n        ) found LIMIT 1;"
    )


def references_check_function(first: str = "") -> str:
    """The insert/update check function; `first`: PL/pgSQL run before anything else (migration 0010 adds some)."""
    return f"""
CREATE OR REPLACE FUNCTION purchaseline_references_check() RETURNS trigger LANGUAGE plpgsql
SET work_mem = '64MB' SET enable_nestloop FROM CURRENT AS $$
DECLARE
    missing record;
BEGIN
{first}    IF NOT EXISTS (SELECT 1 FROM changed_lines) THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock_shared({LOCK[0]}, {LOCK[1]});
    IF (SELECT count(*) FROM (SELECT 1 FROM changed_lines LIMIT {HASH_FROM_ROWS}) s) = {HASH_FROM_ROWS} THEN
        PERFORM set_config('enable_nestloop', 'off', true);  -- restored when the function returns
    END IF;
    {_missing_query()}
    IF FOUND THEN
        RAISE EXCEPTION 'insert or update on table "%" violates its reference "%": no row % in "%"',
            TG_TABLE_NAME, missing.line_column, missing.id, missing.referenced_table
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;
"""


POSTGRESQL_FUNCTIONS = (
    references_check_function()
    + f"""
CREATE OR REPLACE FUNCTION purchaseline_referenced_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kept bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM deleted_rows) THEN
        RETURN NULL;
    END IF;
    -- Wait for transactions writing lines; the query below then sees their committed lines.
    PERFORM pg_advisory_xact_lock({LOCK[0]}, {LOCK[1]});
    EXECUTE format(
        'SELECT o.id FROM deleted_rows o WHERE EXISTS (SELECT 1 FROM {LINES} l WHERE l.%I = o.id) LIMIT 1',
        TG_ARGV[0]
    ) INTO kept;
    IF kept IS NOT NULL THEN
        RAISE EXCEPTION 'delete on table "%" violates reference "%" of table "{LINES}": row % is used',
            TG_TABLE_NAME, TG_ARGV[0], kept
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;
"""
)


def _install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_FUNCTIONS, params=None)


def _restore(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in _0007._postgresql_install()[:1]:  # the functions; the triggers stay as they are
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("reports", "0008_savings_summary_no_row_keys")]

    operations = [migrations.RunPython(_install, _restore)]
