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

LINES = "reports_purchaseline"
# (line column, referenced table)
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

POSTGRESQL_FUNCTIONS = """
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


def _postgresql_install() -> list[str]:
    values = ", ".join(f"('{column}', '{table}')" for column, table in REFERENCES)
    statements = [POSTGRESQL_FUNCTIONS % {"references": values}]
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


def _postgresql_remove() -> list[str]:
    statements = [f"DROP TRIGGER IF EXISTS purchaseline_references_{e} ON {LINES}" for e in ("insert", "update")]
    statements += [f"DROP TRIGGER IF EXISTS purchaseline_{c}_referenced ON {t}" for c, t in REFERENCES]
    statements += [
        "DROP FUNCTION IF EXISTS purchaseline_references_check()",
        "DROP FUNCTION IF EXISTS purchaseline_referenced_check()",
    ]
    return statements


def _sqlite_missing(column: str, table: str) -> str:
    return f"(NEW.{column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {table} WHERE id = NEW.{column}))"


def _sqlite_install() -> list[str]:
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


def _sqlite_remove() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS purchaseline_references_{name}" for name in ("insert", "update")]


def _run(statements_for: dict[str, object]):
    def run(apps, schema_editor):
        make = statements_for.get(schema_editor.connection.vendor)
        if make is None:
            return
        for statement in make():
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0001_initial"),
        ("members", "0001_initial"),
        ("reports", "0006_purchaseline_lean_indexes"),
        ("vendors", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(
            _run({"postgresql": _postgresql_install, "sqlite": _sqlite_install}),
            _run({"postgresql": _postgresql_remove, "sqlite": _sqlite_remove}),
        ),
    ]
