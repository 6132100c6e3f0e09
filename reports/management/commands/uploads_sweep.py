"""`uploads_sweep [--quiet-minutes N]`: fail uploads a lost worker left in progress (what Celery beat runs)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from reports.services.upload_recovery import uploads_sweep_stale


class Command(BaseCommand):
    help = "Mark uploads stuck in progress with no sign of life as failed, with the reason (DESIGN.md section 5)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--quiet-minutes",
            type=int,
            default=None,
            help="minutes without progress after which an upload counts as lost (default: UPLOAD_STALE_AFTER_SECONDS)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        minutes = options["quiet_minutes"]
        swept = uploads_sweep_stale(quiet_for=timedelta(minutes=minutes) if minutes is not None else None)
        for upload in swept:
            self.stdout.write(f"failed upload {upload.public_id} ({upload.original_filename}): {upload.error}")
        self.stdout.write(f"{len(swept)} upload(s) marked failed")
