"""`backup FOLDER`: the database (SQLite backup API or pg_dump) and the media folder, into a new folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gpo.backup import backup_create
from gpo.errors import ApplicationError


class Command(BaseCommand):
    help = "Back up the database and the media folder into FOLDER (new or empty). Safe while the site runs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = backup_create(folder=options["folder"])
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"Backed up the {manifest['engine']} database ({manifest['database']['file']}) and "
            f"{len(manifest['media'])} media files into {options['folder']}."
        )
