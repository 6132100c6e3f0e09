"""Importing vendors' quarterly admin-fee reports (coalition admins)."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from contracts.models import Contract
from gpo.errors import ApplicationError, ConflictError, PayloadTooLargeError
from gpo.members.models import Practice
from gpo.members.rights import Right, right_require
from reports import ingest
from reports.admin_fees import FeeReportError, FeeRow, FeeRowError, fee_report_read
from reports.models import AdminFeeReport, AdminFeeReportLine
from vendors.models import Vendor
from vendors.normalize import normalize_vendor_name
from vendors.services import vendor_find


def _report_vendor(rows: list[FeeRow], vendor: str | None) -> Vendor:
    """The vendor chosen (by slug), else the one the report's vendor column names (one, known)."""
    if vendor:
        found = Vendor.objects.filter(slug=vendor).first()
        if found is None:
            raise ApplicationError(f"No vendor {vendor!r}.")
        return found
    names = {row.vendor_name for row in rows if row.vendor_name}
    vendors = {vendor_find(name=name) for name in names}
    if len(vendors) != 1 or None in vendors:
        raise ApplicationError("Choose the vendor: the report's vendor column names none, several or an unknown one.")
    return next(iter(vendors))  # type: ignore[return-value]


class _Members:
    """Practices by slug (a member id the coalition gave the vendor) and by name as the vendor spelled it."""

    def __init__(self) -> None:
        practices = list(Practice.objects.only("id", "slug", "name"))
        self.by_slug = {p.slug.lower(): p for p in practices}
        self.by_name = {normalize_vendor_name(p.name): p for p in practices}

    def find(self, row: FeeRow) -> Practice | None:
        return self.by_slug.get(row.member_id.strip().lower()) or self.by_name.get(
            normalize_vendor_name(row.member_name)
        )


@transaction.atomic
def admin_fee_report_create(
    *, file: UploadedFile, user: Any, vendor: str | None = None, mapping: Mapping[str, str] | None = None
) -> AdminFeeReport:
    """Read a vendor's admin-fee report (xlsx, xls, ods, csv) and keep it with its rows; every row not kept is
    listed with its number, column and reason. 409 for a file already imported. `user` None is the system itself
    (seed_demo), which needs no right."""
    if user is not None:
        right_require(user, None, Right.FEE_REPORTS)
    if (file.size or 0) > settings.UPLOAD_MAX_BYTES:
        raise PayloadTooLargeError(f"The file is larger than {settings.UPLOAD_MAX_BYTES / 1_048_576:.0f} MB.")
    content = b"".join(file.chunks())
    sha256 = hashlib.sha256(content).hexdigest()
    earlier = AdminFeeReport.objects.filter(sha256=sha256).first()
    if earlier is not None:
        raise ConflictError("This report was already imported.", extra={"report_id": str(earlier.public_id)})
    with tempfile.TemporaryDirectory(prefix="gpo-fee-") as folder:
        path = Path(folder) / "report"
        path.write_bytes(content)
        try:
            cells = ingest.read_cells(path, filename=file.name)
            read = fee_report_read(cells.rows, mapping)
        except (ingest.IngestError, FeeReportError) as error:
            raise ApplicationError(str(error)) from error
    found_vendor = _report_vendor(read.rows, vendor)
    contracts = {c.number: c for c in Contract.objects.filter(number__in={row.contract_number for row in read.rows})}
    members = _Members()
    kept: list[AdminFeeReportLine] = []
    errors = list(read.errors)
    column = read.mapping["contract_number"]
    for row in read.rows:
        contract = contracts.get(row.contract_number)
        if contract is None:
            errors.append(FeeRowError(row.row_number, column, f"no contract {row.contract_number} in the catalog"))
            continue
        if contract.vendor_id != found_vendor.id:
            errors.append(
                FeeRowError(row.row_number, column, f"{contract.number} is not a {found_vendor.name} contract")
            )
            continue
        kept.append(
            AdminFeeReportLine(
                row_number=row.row_number,
                contract=contract,
                practice=members.find(row),
                member_id=row.member_id[:120],
                member_name=row.member_name[:300],
                quarter=row.quarter,
                sales=row.sales,
                fee_rate=row.fee_rate,
                fee_reported=row.fee_reported,
                fee_paid=row.fee_paid,
            )
        )
    report = AdminFeeReport(
        vendor=found_vendor,
        uploaded_by=user if getattr(user, "is_authenticated", False) else None,
        original_filename=(file.name or "report")[:255],
        sha256=sha256,
        file_format=cells.file_format,
        header_row=read.header_row,
        column_mapping=read.mapping,
        column_confidence=read.confidence,
        rows_total=len(kept) + len({e.row for e in errors}),
        rows_accepted=len(kept),
        rows_rejected=len({e.row for e in errors}),
        rows_skipped=read.rows_skipped,
        rejected=[{"row": e.row, "column": e.column, "reason": e.reason} for e in sorted(errors, key=lambda e: e.row)],
    )
    report.original_file.save("report", ContentFile(content), save=False)
    report.full_clean(exclude=["original_file"])
    report.save()
    for line in kept:
        line.report = report
    AdminFeeReportLine.objects.bulk_create(kept)
    return report
