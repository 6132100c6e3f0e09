"""`import_purchases FILE --practice SLUG [--sheet NAME] [--map FIELD=HEADER ...]`: the upload pipeline, run now."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gpo.errors import ApplicationError
from gpo.members.models import Practice
from gpo.money import money_str
from reports import ingest
from reports.models import PurchaseUpload
from reports.services.uploads import upload_create, upload_process

REJECTED_SHOWN = 20


class Command(BaseCommand):
    help = "Import a purchase spreadsheet for a practice and print the upload summary (DESIGN.md section 7)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="xlsx, xlsm, xls, ods, csv or tsv file")
        parser.add_argument("--practice", required=True, help="slug of the practice the purchases belong to")
        parser.add_argument("--sheet", default=None, help="sheet name (default: the first sheet)")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="FIELD=HEADER",
            help=f"the column of a field, repeatable (FIELD= : not in the file); fields: {', '.join(ingest.FIELDS)}",
        )
        parser.add_argument(
            "--header-row", type=int, default=None, help="row number of the header row when it is not found"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        practice = Practice.objects.filter(slug=options["practice"]).first()
        if practice is None:
            raise CommandError(f"Unknown practice {options['practice']!r}: give the slug of an existing practice.")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"Cannot read {path}: no such file.")
        mapping = _mapping_of(options["map"])
        try:
            upload = upload_create(
                practice=practice,
                user=None,
                file=path,
                sheet=options["sheet"],
                mapping=mapping,
                header_row=options["header_row"],
                enqueue=False,
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        upload = upload_process(upload_id=upload.id, practice_id=practice.id)
        self._summary_print(upload)
        if upload.status == PurchaseUpload.Status.FAILED:
            raise CommandError(f"Upload {upload.public_id} failed: {upload.error}")

    def _summary_print(self, upload: PurchaseUpload) -> None:
        write = self.stdout.write
        write(f"upload {upload.public_id}: {upload.original_filename} for {upload.practice.slug}")
        write(f"status: {upload.status}")
        write(
            f"rows total: {upload.rows_total}  accepted: {upload.rows_accepted}  "
            f"rejected: {upload.rows_rejected}  skipped: {upload.rows_skipped}"
        )
        write(f"file_total: {money_str(upload.file_total)}  accepted_total: {money_str(upload.accepted_total)}")
        confidence = upload.column_confidence or {}
        if upload.column_mapping:
            write("columns (field: header, confidence):")
            for name, header in upload.column_mapping.items():
                write(f"  {name}: {header} ({confidence.get(name, 'exact')})")
        if upload.warnings:
            write(self.style.WARNING(f"warnings ({len(upload.warnings)}):"))
            for warning in upload.warnings:
                write(self.style.WARNING(f"  [{warning['code']}] {warning['message']}"))
        rejected = list(upload.rejected_rows.all()[:REJECTED_SHOWN])
        if rejected:
            write("rejected rows (row, column, reason):")
            for row in rejected:
                write(f"  {row.row_number}\t{row.column}\t{row.reason}")
            if upload.rows_rejected > len(rejected):
                write(f"  … and {upload.rows_rejected - len(rejected)} more (download them from the upload page)")


def _mapping_of(pairs: list[str]) -> dict[str, str]:
    """--map FIELD=HEADER pairs as a mapping; a clear error for a malformed pair or an unknown field."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        name, separator, header = pair.partition("=")
        name = name.strip()
        if not separator or not name:
            raise CommandError(f"--map expects FIELD=HEADER, got {pair!r}")
        if name not in ingest.FIELDS:
            raise CommandError(f"--map: unknown field {name!r} (fields: {', '.join(ingest.FIELDS)})")
        mapping[name] = header.strip()
    return mapping
