"""Planner statistics after bulk writes: ANALYZE a table once enough of it changed (PostgreSQL).

PostgreSQL plans a query from the row counts and value spreads its last ANALYZE sampled. Autovacuum refreshes them
in the background, but only some time after a table has changed by 10 %, and not at all where it is switched off
(as on this project's CI and bench machine). Measured there with bench-scale (2,003,102 lines, never analysed): the
planner took the savings summary for one row, sorted the coalition-year's 88,400 month rows on disk instead of
hashing them, and /api/savings/ for the coalition's year took 1.8 s cold; analysed (and with the month-row index),
its three queries take 85 ms. So an upload that grows a table by as much as autovacuum waits for analyses it itself,
right after its commit.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from django.db import DatabaseError, connection, models, transaction

logger = logging.getLogger(__name__)

# autovacuum's defaults (autovacuum_analyze_threshold, autovacuum_analyze_scale_factor).
ANALYZE_THRESHOLD = 50
ANALYZE_SCALE_FACTOR = 0.1


def analyze_due(*, rows: float, changed: int) -> bool:
    """Whether a table of `rows` rows (as last estimated; negative: never) with `changed` rows changed since its
    last ANALYZE is due one, by autovacuum's rule."""
    return changed > ANALYZE_THRESHOLD + ANALYZE_SCALE_FACTOR * max(rows, 0.0)


def tables_analyze_when_changed(changed: Mapping[type[models.Model], int]) -> list[str]:
    """ANALYZE each model's table whose changes since its last ANALYZE (the server's count plus `changed`, the rows
    just written, which the server may not have counted yet) make one due; returns the tables analysed.

    PostgreSQL only (SQLite plans without sampled statistics here). A failure is logged, never raised: the writes
    it follows are already committed.
    """
    if connection.vendor != "postgresql" or not changed:
        return []
    tables = {model._meta.db_table: count for model, count in changed.items()}
    analysed = []
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.relname, c.reltuples, COALESCE(s.n_mod_since_analyze, 0) FROM pg_class c "
                "LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid "
                "WHERE c.oid = ANY(CAST(%s AS regclass[]))",
                [sorted(tables)],
            )
            for table, rows, counted in cursor.fetchall():
                if analyze_due(rows=float(rows), changed=int(counted) + tables[table]):
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
                    analysed.append(table)
    except DatabaseError:
        logger.exception("ANALYZE after a bulk write failed (%s)", ", ".join(sorted(tables)))
        return []
    return analysed
