"""Writing purchase lines in bulk from columns (reports.db.copy), their references checked as the database's
triggers would (reports.db.line_references)."""

from __future__ import annotations

from collections.abc import Iterable

from reports.db.copy import Columns, rows_insert_batches, rows_update
from reports.db.line_references import REFERENCES
from reports.models import PurchaseLine


def lines_insert(columns: Columns) -> int:
    """Insert purchase lines given as columns named after PurchaseLine's database columns; returns the count."""
    return lines_insert_batches([columns])


def lines_insert_batches(batches: Iterable[Columns]) -> int:
    """Insert purchase lines given as batches of columns (the same names in each); returns the count.

    On PostgreSQL every batch goes into one COPY while the next batch is being made, so a batch iterator must not
    query the database after its first batch: the connection is busy copying until the last batch is in.
    """
    return rows_insert_batches(PurchaseLine, batches, references=REFERENCES)


def lines_update(columns: Columns) -> int:
    """Set the given columns of the lines whose `id` is given; returns the count."""
    return rows_update(PurchaseLine, columns)
