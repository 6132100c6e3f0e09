"""The PostgreSQL database a heavy bench keeps between runs (make loadtest, bench-scale, bench-parallel)."""

from __future__ import annotations


def database_ensure(url: str) -> None:
    """Create the database the URL names when it does not exist yet (connecting to `postgres` on the same server)."""
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
