"""Admin for coalition staff: uploads (read-only; writes go through the upload services) and their audit trail."""

from __future__ import annotations

from django.contrib import admin

from gpo.admin_base import ReadOnlyAdmin
from reports.models import NonGpoVendorName, PurchaseUpload, UploadAuditEntry


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
