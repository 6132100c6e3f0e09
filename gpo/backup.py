"""Backup and restore with the database's own tools, plus the media folder (issue 15, README "Backup and restore").

A backup is a folder: `manifest.json`, the database (`db.sqlite3` made with SQLite's online backup API, or `db.dump`
made by `pg_dump --format=custom`) and `media/` (the kept original uploads and contract documents). Restoring puts
the database back with the same tools (`sqlite3` backup API, `pg_restore --clean`) and copies the media folder back.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from gpo.errors import ApplicationError

MANIFEST = "manifest.json"
SQLITE_FILE = "db.sqlite3"
POSTGRES_FILE = "db.dump"


def _engine() -> str:
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine.endswith("sqlite3"):
        return "sqlite"
    if "postgresql" in engine:
        return "postgresql"
    raise ApplicationError(f"Backups cover SQLite and PostgreSQL; this database is {engine}.")


def _postgres_environment() -> dict[str, str]:
    """libpq's variables for the configured database: no password on any command line."""
    database = settings.DATABASES["default"]
    values = {
        "PGHOST": database.get("HOST") or "",
        "PGPORT": str(database.get("PORT") or ""),
        "PGUSER": database.get("USER") or "",
        "PGPASSWORD": database.get("PASSWORD") or "",
        "PGDATABASE": database["NAME"],
    }
    return {**os.environ, **{key: value for key, value in values.items() if value}}


def _run(tool: str, *arguments: str) -> None:
    if shutil.which(tool) is None:
        raise ApplicationError(f"{tool} is not installed: install the PostgreSQL client tools of the server's version.")
    result = subprocess.run(
        [tool, *arguments], env=_postgres_environment(), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise ApplicationError(f"{tool} failed: {result.stderr.strip()[:500]}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _media_files(root: Path) -> dict[str, str]:
    if not root.is_dir():
        return {}
    return {str(path.relative_to(root)): _sha256(path) for path in sorted(root.rglob("*")) if path.is_file()}


def backup_create(*, folder: Path) -> dict[str, Any]:
    """Write a backup of the database and the media folder into `folder` (new or empty); returns the manifest."""
    if folder.exists() and any(folder.iterdir()):
        raise ApplicationError(f"{folder} is not empty: back up into a new folder.")
    folder.mkdir(parents=True, exist_ok=True)
    engine = _engine()
    if engine == "sqlite":
        database_file = folder / SQLITE_FILE
        connection.ensure_connection()
        target = sqlite3.connect(database_file)
        try:
            # The online backup API copies a consistent snapshot page by page while the site keeps running.
            connection.connection.backup(target)
        finally:
            target.close()
    else:
        database_file = folder / POSTGRES_FILE
        _run("pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={database_file}")
    media_root = Path(settings.MEDIA_ROOT)
    if media_root.is_dir():
        shutil.copytree(media_root, folder / "media")
    manifest = {
        "engine": engine,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": {"file": database_file.name, "sha256": _sha256(database_file)},
        "media": _media_files(folder / "media"),
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return manifest


def backup_restore(*, folder: Path) -> dict[str, Any]:
    """Replace the database and add the media files from a backup folder made by `backup_create`.

    Stop the web processes and workers first: the database's tables are replaced wholesale.
    """
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ApplicationError(f"{folder} holds no readable {MANIFEST}: not a backup folder.") from exc
    engine = _engine()
    if manifest.get("engine") != engine:
        raise ApplicationError(
            f"This backup is of a {manifest.get('engine')} database; the configured one is {engine}."
        )
    database_file = folder / manifest["database"]["file"]
    if not database_file.is_file() or _sha256(database_file) != manifest["database"]["sha256"]:
        raise ApplicationError(f"{database_file.name} is missing or differs from the one the backup recorded.")
    for name, digest in manifest["media"].items():
        path = folder / "media" / name
        if not path.is_file() or _sha256(path) != digest:
            raise ApplicationError(f"media/{name} is missing or differs from the one the backup recorded.")
    if engine == "sqlite":
        connection.ensure_connection()
        source = sqlite3.connect(database_file)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
    else:
        connection.close()
        _run(
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            f"--dbname={settings.DATABASES['default']['NAME']}",
            str(database_file),
        )
    if (folder / "media").is_dir():
        shutil.copytree(folder / "media", Path(settings.MEDIA_ROOT), dirs_exist_ok=True)
    # Cached figures and counts describe the database that was replaced.
    cache.clear()
    return manifest
