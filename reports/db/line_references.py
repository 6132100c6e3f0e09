"""The lines' reference checks in the database, written once: migrations install them, the line store meets them.

PurchaseLine's foreign keys are declared with db_constraint=False (migration reports/0006): PostgreSQL's per-row
checks cost about 45 s at the commit of a million-line upload. Statement triggers keep the same guarantees
set-based (migration 0007 installs them with `FIRST_FUNCTIONS`, 0009 replaces the functions with
`CHECK_FUNCTIONS`, one query and an advisory lock, and 0010 with `references_check_function(SKIP_CHECKED_COPY)`):

- after each INSERT or UPDATE statement on the lines, any referenced id with no row fails it (SQLSTATE 23503);
- after each DELETE statement on a referenced table, deleting a row that lines still reference fails the same way;
- writers of lines (shared) and deleters of referenced rows (exclusive) meet on one transaction-level advisory
  lock, `LOCK`, so a delete that waited sees the writer's committed lines and a writer that waited sees the row
  gone;
- a COPY of lines whose references the line store checks itself (reports.db.copy) sets `CHECKED_SETTING` right
  before it; the insert trigger then clears it and skips that one statement.

SQLite: a row trigger checks each inserted or updated line's references (SQLite has no statement triggers); deletes
of referenced rows are left to the ORM's on_delete. SQLite drops a table's triggers when a migration rebuilds the
table: such a migration takes them off (`sqlite_remove`) and installs them again (`sqlite_install`), and
tests/reports/test_line_integrity.py fails if one forgets.

Pure text: migrations import this module, so it imports no model and must keep every version they install.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reports.db.locks import LINE_REFERENCES_NAMESPACE

LINES = "reports_purchaseline"
# (line column, referenced table): every foreign key of PurchaseLine (a test holds it to the model).
REFERENCES = (
    ("upload_id", "reports_purchaseupload"),
    ("practice_id", "members_practice"),
    ("vendor_id", "vendors_vendor"),
    ("contract_id", "contracts_contract"),
    ("item_id", "contracts_contractitem"),
    ("price_id", "contracts_contractprice"),
    ("category_id", "vendors_category"),
    ("repeat_of_id", LINES),
)
# pg_advisory_xact_lock's two keys: writers of lines take it shared, deleters of referenced rows exclusive.
LOCK = (LINE_REFERENCES_NAMESPACE, 1)
# Transaction-local; set to 'copy' right before a COPY whose references the line store checks itself.
CHECKED_SETTING = "gpo.line_references_checked"
# From this many rows a statement's check hash-joins the referenced tables instead of probing their keys.
HASH_FROM_ROWS = 5000


def line_references_lock() -> None:
    """Take the lines' reference lock exclusive for the rest of the transaction (PostgreSQL; nothing elsewhere).

    For a transaction that writes lines and then deletes rows lines may reference: the triggers would take the lock
    shared, then exclusive, and two such transactions could deadlock. Taking it exclusive first makes them queue.
    """
    from django.db import connection  # this module stays importable by migrations as plain text

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", LOCK)


# --- migration 0007: the first statement triggers ---

FIRST_FUNCTIONS = """
CREATE OR REPLACE FUNCTION purchaseline_references_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    reference record;
    missing bigint;
BEGIN
    -- One pass over the statement's rows: the distinct combinations of references are few.
    CREATE TEMPORARY TABLE IF NOT EXISTS purchaseline_references (
        upload_id bigint, practice_id bigint, vendor_id bigint, contract_id bigint, item_id bigint,
        price_id bigint, category_id bigint, repeat_of_id bigint
    ) ON COMMIT DELETE ROWS;
    TRUNCATE purchaseline_references;
    INSERT INTO purchaseline_references
        SELECT DISTINCT upload_id, practice_id, vendor_id, contract_id, item_id, price_id, category_id, repeat_of_id
        FROM changed_lines;
    FOR reference IN SELECT * FROM (VALUES %(references)s) AS r(line_column, referenced_table) LOOP
        EXECUTE format(
            'WITH wanted AS (SELECT DISTINCT %%1$I AS id FROM purchaseline_references WHERE %%1$I IS NOT NULL), '
            'locked AS (SELECT t.id FROM %%2$I t WHERE t.id IN (SELECT id FROM wanted) FOR KEY SHARE) '
            'SELECT w.id FROM wanted w WHERE NOT EXISTS (SELECT 1 FROM locked l WHERE l.id = w.id) LIMIT 1',
            reference.line_column, reference.referenced_table
        ) INTO missing;
        IF missing IS NOT NULL THEN
            RAISE EXCEPTION 'insert or update on table "%%" violates its reference "%%": no row %% in "%%"',
                TG_TABLE_NAME, reference.line_column, missing, reference.referenced_table
                USING ERRCODE = 'foreign_key_violation';
        END IF;
    END LOOP;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION purchaseline_referenced_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kept bigint;
BEGIN
    EXECUTE format(
        'SELECT o.id FROM deleted_rows o WHERE EXISTS (SELECT 1 FROM reports_purchaseline l WHERE l.%%I = o.id) '
        'LIMIT 1',
        TG_ARGV[0]
    ) INTO kept;
    IF kept IS NOT NULL THEN
        RAISE EXCEPTION 'delete on table "%%" violates reference "%%" of table "reports_purchaseline": row %% is used',
            TG_TABLE_NAME, TG_ARGV[0], kept
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;
"""


def postgresql_install() -> list[str]:
    values = ", ".join(f"('{column}', '{table}')" for column, table in REFERENCES)
    statements = [FIRST_FUNCTIONS % {"references": values}]
    for event in ("INSERT", "UPDATE"):
        statements.append(
            f"CREATE TRIGGER purchaseline_references_{event.lower()} AFTER {event} ON {LINES} "
            "REFERENCING NEW TABLE AS changed_lines FOR EACH STATEMENT EXECUTE FUNCTION purchaseline_references_check()"
        )
    for column, table in REFERENCES:
        statements.append(
            f"CREATE TRIGGER purchaseline_{column}_referenced AFTER DELETE ON {table} "
            "REFERENCING OLD TABLE AS deleted_rows FOR EACH STATEMENT "
            f"EXECUTE FUNCTION purchaseline_referenced_check('{column}')"
        )
    return statements


def postgresql_remove() -> list[str]:
    statements = [f"DROP TRIGGER IF EXISTS purchaseline_references_{e} ON {LINES}" for e in ("insert", "update")]
    statements += [f"DROP TRIGGER IF EXISTS purchaseline_{c}_referenced ON {t}" for c, t in REFERENCES]
    statements += [
        "DROP FUNCTION IF EXISTS purchaseline_references_check()",
        "DROP FUNCTION IF EXISTS purchaseline_referenced_check()",
    ]
    return statements


def _sqlite_missing(column: str, table: str) -> str:
    return f"(NEW.{column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {table} WHERE id = NEW.{column}))"


def sqlite_install() -> list[str]:
    # One trigger per event whose WHEN tests every reference (a trigger per column costs 2.4x as much per row);
    # its body, run only for a bad line, names the first missing reference.
    when = " OR ".join(_sqlite_missing(column, table) for column, table in REFERENCES)
    body = " ".join(
        f"SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: {LINES}.{column}') "
        f"WHERE {_sqlite_missing(column, table)};"
        for column, table in REFERENCES
    )
    columns = ", ".join(column for column, _ in REFERENCES)
    return [
        f"CREATE TRIGGER purchaseline_references_{name} BEFORE {event} ON {LINES} FOR EACH ROW "
        f"WHEN {when} BEGIN {body} END"
        for name, event in (("insert", "INSERT"), ("update", f"UPDATE OF {columns}"))
    ]


def sqlite_remove() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS purchaseline_references_{name}" for name in ("insert", "update")]


# --- migration 0009: one query, and the lock instead of row locks ---


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


CHECK_FUNCTIONS = (
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


# --- migration 0010: the line store's own COPY skips the insert trigger's check ---

SKIP_CHECKED_COPY = f"""    IF TG_OP = 'INSERT' AND current_setting('{CHECKED_SETTING}', true) = 'copy' THEN
        PERFORM set_config('{CHECKED_SETTING}', '', true);
        RETURN NULL;
    END IF;
"""


def run_statements(statements_for: dict[str, Callable[[], list[str]]]) -> Callable[[Any, Any], None]:
    def run(apps: Any, schema_editor: Any) -> None:
        make = statements_for.get(schema_editor.connection.vendor)
        if make is None:
            return
        for statement in make():
            schema_editor.execute(statement, params=None)

    return run


# Taking the SQLite triggers off around a migration that rebuilds a table they name, and putting them back.
sqlite_triggers_install = run_statements({"sqlite": sqlite_install})
sqlite_triggers_remove = run_statements({"sqlite": sqlite_remove})
