"""`restore FOLDER`: put back a backup made by `backup` (stop the web processes and workers first)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gpo.backup import backup_restore
from gpo.errors import ApplicationError


class Command(BaseCommand):
    help = "Replace the database with the backup in FOLDER and copy its media files back. Stop the site first."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = backup_restore(folder=options["folder"])
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"Restored the {manifest['engine']} database of {manifest['created_at']} and "
            f"{len(manifest['media'])} media files from {options['folder']}."
        )
