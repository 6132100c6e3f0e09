"""Admin for coalition staff: uploads (read-only; writes go through the upload services) and their audit trail."""

from __future__ import annotations

from django.contrib import admin

from gpo.admin_base import ReadOnlyAdmin
from reports.models import (
    AdminFeeReport,
    MonthClose,
    NonGpoVendorName,
    PurchaseUpload,
    Restatement,
    UploadAuditEntry,
)


@admin.register(PurchaseUpload)
class PurchaseUploadAdmin(ReadOnlyAdmin):
    list_display = ["id", "original_filename", "practice", "status", "rows_total", "rows_accepted", "created_at"]
    list_filter = ["status", "practice"]
    search_fields = ["original_filename", "sha256"]


@admin.register(UploadAuditEntry)
class UploadAuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "action", "upload_id_recorded", "practice", "user", "original_filename", "rows_total"]
    list_filter = ["action", "practice"]
    search_fields = ["original_filename", "sha256"]


@admin.register(NonGpoVendorName)
class NonGpoVendorNameAdmin(admin.ModelAdmin):
    list_display = ["normalized_name", "marked_by", "created_at"]
    search_fields = ["normalized_name"]


# Coalition economics (issue 18): closes change through /month-closes/, reports through /coalition/admin-fees/.
@admin.register(MonthClose)
class MonthCloseAdmin(ReadOnlyAdmin):
    list_display = ["practice", "month", "closed_at", "closed_by", "spend", "reopened_at"]
    list_filter = ["practice"]


@admin.register(Restatement)
class RestatementAdmin(ReadOnlyAdmin):
    list_display = ["month_close", "recorded_at", "cause", "spend_delta", "savings_delta"]
    list_filter = ["cause"]


@admin.register(AdminFeeReport)
class AdminFeeReportAdmin(ReadOnlyAdmin):
    list_display = ["vendor", "original_filename", "created_at", "rows_accepted", "rows_rejected"]
    list_filter = ["vendor"]
