"""Purchase uploads and their reconciled lines (DESIGN.md sections 3-5)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from contracts import pricing
from gpo.db import TimeStampedModel


def upload_storage_path(instance: PurchaseUpload, filename: str) -> str:
    """Generated storage name (SECURITY.md item 6): practice id + random id; the user's name is metadata only."""
    import secrets

    return f"uploads/{instance.practice_id}/{secrets.token_hex(16)}"


class PurchaseUpload(TimeStampedModel):
    """One purchase spreadsheet uploaded by a practice, kept for audit and re-processing."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        PARSING = "parsing", "Parsing"
        RECONCILING = "reconciling", "Reconciling"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    # The id every URL, API answer and link uses (SECURITY.md item 16): random, so one upload's address tells nothing
    # about another's. The integer primary key stays inside the server (lines, tasks, audit).
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey("members.Practice", on_delete=models.PROTECT, related_name="uploads")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="uploads"
    )
    original_file = models.FileField(upload_to=upload_storage_path, max_length=300)
    original_filename = models.CharField(max_length=255)
    file_format = models.CharField(max_length=8, blank=True, help_text="Detected from content: xlsx, xls, ods, csv…")
    size_bytes = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    sheet_name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0, help_text="Data rows: accepted + rejected.")
    rows_accepted = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    rows_skipped = models.PositiveIntegerField(default=0, help_text="Blank and summary rows.")
    file_total = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    accepted_total = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    header_row = models.PositiveIntegerField(null=True, blank=True)
    # What the user asked for (create, reprocess, or remembered for the practice): field -> header text, "" for
    # "not in this file", and the header row when detection failed; the rest is recognised (reports.columns).
    mapping_requested = models.JSONField(default=dict, blank=True)
    header_row_requested = models.PositiveIntegerField(null=True, blank=True)
    column_mapping = models.JSONField(default=dict, blank=True, help_text="Field -> header text used.")
    column_confidence = models.JSONField(
        default=dict, blank=True, help_text="Field -> how sure the mapping was: exact, likely or guess."
    )
    # DESIGN §5: whenever a result may not mean what it seems ([{code, message}], reports.upload_warnings).
    warnings = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    # Processing runs begun: a worker lost mid-upload is redelivered, and a file that keeps killing workers is
    # failed after settings.UPLOAD_MAX_ATTEMPTS instead of looping (reports.services.uploads.upload_process).
    attempts = models.PositiveSmallIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The purchase dates its lines span, recorded when they are stored: reads of lines by date go through the
    # uploads whose span meets the period (reports.selectors.savings.lines_in_periods), not a date index on lines.
    first_purchase_date = models.DateField(null=True, blank=True)
    last_purchase_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # DESIGN §5: the same file is refused while its upload is done or in flight; a failed one never blocks.
            models.UniqueConstraint(
                fields=["practice", "sha256"],
                condition=~Q(status="failed"),
                name="upload_unique_live_file_per_practice",
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="upload_progress_percent"),
        ]

    def __str__(self) -> str:
        return f"{self.original_filename} ({self.practice})"


class RejectedRow(models.Model):
    """A data row of an upload that was not accepted, with where and why (DESIGN.md section 5)."""

    upload = models.ForeignKey(PurchaseUpload, on_delete=models.CASCADE, related_name="rejected_rows")
    row_number = models.PositiveIntegerField(help_text="As the spreadsheet shows it; for csv, the line in the file.")
    column = models.CharField(max_length=200, blank=True)
    reason = models.CharField(max_length=500)
    values = models.JSONField(default=list, blank=True, help_text="The original cells, for the fix-up download.")

    class Meta:
        ordering = ["upload", "row_number", "id"]

    def __str__(self) -> str:
        return f"row {self.row_number}: {self.reason}"


class ColumnMappingPreset(TimeStampedModel):
    """A column mapping a practice corrected, remembered for files with the same header layout."""

    practice = models.ForeignKey("members.Practice", on_delete=models.CASCADE, related_name="column_mappings")
    header_signature = models.CharField(max_length=64)
    mapping = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["practice", "header_signature"], name="mapping_unique_per_layout"),
        ]

    def __str__(self) -> str:
        return f"{self.practice} {self.header_signature[:8]}"


class PurchaseLine(models.Model):
    """One accepted purchase row and the result of reconciling it against the catalog (DESIGN.md section 4)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Not reconciled yet"
        ON_CONTRACT = "on_contract", "On contract"
        OVERCHARGED = "overcharged", "Overcharged"
        NOT_PARTICIPATING = "not_participating", "Not participating"
        OFF_CONTRACT = "off_contract", "Off contract"
        UOM_MISMATCH = "uom_mismatch", "UOM mismatch"
        NON_GPO_VENDOR = "non_gpo_vendor", "Non-GPO vendor"

    # DESIGN §4.6: the causes are the pricing engine's (contracts.pricing), in the priority it gives them.
    OverchargeCause = pricing.OverchargeCause

    class VendorMatch(models.TextChoices):
        NONE = "", "Unresolved"
        EXACT = "exact", "Name"
        ALIAS = "alias", "Alias"
        FUZZY = "fuzzy", "Fuzzy (review)"
        MANUAL = "manual", "Mapped by staff"

    # Foreign keys of this table are checked by set-based triggers, not per-row constraints (see Meta).
    upload = models.ForeignKey(
        PurchaseUpload, on_delete=models.CASCADE, related_name="lines", db_constraint=False, db_index=False
    )
    practice = models.ForeignKey(
        "members.Practice", on_delete=models.PROTECT, related_name="purchase_lines", db_constraint=False, db_index=False
    )
    row_number = models.PositiveIntegerField()
    purchase_date = models.DateField()
    vendor_name = models.CharField(max_length=300)
    vendor = models.ForeignKey(
        "vendors.Vendor",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="purchase_lines",
        db_constraint=False,
        db_index=False,
    )
    vendor_match = models.CharField(max_length=8, choices=VendorMatch.choices, blank=True, default="")
    sku = models.CharField(max_length=120, blank=True)
    sku_normalized = models.CharField(max_length=120, blank=True)
    mfr_part_number = models.CharField(max_length=120, blank=True)
    mfr_part_normalized = models.CharField(max_length=120, blank=True)
    description = models.CharField(max_length=500, blank=True)
    quantity = models.DecimalField(max_digits=18, decimal_places=4)
    uom = models.CharField(max_length=40, blank=True)
    unit_price = models.DecimalField(max_digits=18, decimal_places=4)
    extended_amount = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    invoice_number = models.CharField(max_length=80, blank=True)
    po_number = models.CharField(max_length=80, blank=True)
    spend = models.DecimalField(max_digits=16, decimal_places=2)

    # Reconciliation result (DESIGN.md section 4); amounts rounded once to cents and stored.
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    overcharge_cause = models.CharField(max_length=16, choices=OverchargeCause.choices, blank=True, default="")
    repeat_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="repeats",
        db_constraint=False,
        db_index=False,
    )
    contract = models.ForeignKey(
        "contracts.Contract",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="purchase_lines",
        db_constraint=False,
        db_index=False,
    )
    item = models.ForeignKey(
        "contracts.ContractItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="purchase_lines",
        db_constraint=False,
        db_index=False,
    )
    price = models.ForeignKey(
        "contracts.ContractPrice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="purchase_lines",
        db_constraint=False,
        db_index=False,
    )
    category = models.ForeignKey(
        "vendors.Category",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="purchase_lines",
        db_constraint=False,
        db_index=False,
    )
    expected_unit_price = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    list_price = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    savings = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    overcharge = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    missed_savings = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    reconciled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["upload", "row_number", "id"]
        # The largest table: every index costs each upload's COPY (measured at 1M lines: 1-1.8 s per index on
        # ordered keys, 2-5.5 s on random ones such as dates, invoices or price_id), so only an upload's lines,
        # the (few) repeats and the (few) lines waiting for vendor review have one. Reads by practice, date or
        # invoice (exports, dashboards, summary rebuilds, repeats of DESIGN §4 rule 9) go from the practice's
        # uploads whose recorded date span meets the period to their lines (reports.selectors.savings). Deleting a
        # vendor, contract, item, price or category scans the lines: rare staff actions, PROTECT refuses them anyway.
        #
        # Referential integrity is kept by the database, set-based: migration 0007 installs triggers that check
        # every inserted or updated line's references once per statement (PostgreSQL; per row on SQLite) and
        # refuse deleting a referenced row (PostgreSQL); 0009 makes the check one query and replaces row locks by an
        # advisory lock shared by writers of lines; 0010 lets the line store check the ids of its own COPY instead
        # (reports.db.copy._copy). Per-row foreign-key checks cost about 45 s per million lines at
        # commit; the statement trigger about 1.5 s, the line store's check about 0.3 s.
        indexes = [
            models.Index(fields=["upload", "row_number"], name="line_upload_row_idx"),
            models.Index(fields=["repeat_of"], name="line_repeat_of_idx", condition=Q(repeat_of__isnull=False)),
            models.Index(
                fields=["vendor_name"],
                name="line_vendor_review_idx",
                condition=Q(vendor__isnull=True) | Q(vendor_match="fuzzy"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.upload_id}:{self.row_number} {self.vendor_name} {self.sku}"


class NonGpoVendorName(TimeStampedModel):
    """A vendor name (normalised) that staff marked as not a coalition vendor: never fuzzy-matched, left non-GPO."""

    normalized_name = models.CharField(max_length=300, unique=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["normalized_name"]
        verbose_name = "non-GPO vendor name"

    def __str__(self) -> str:
        return self.normalized_name


class SavingsSummary(models.Model):
    """Sums of stored line money per practice, month, status and one breakdown (DESIGN.md §4.7-9).

    A derived table kept in step by `reports.services.savings.savings_summary_refresh`; repeats and pending lines
    are left out, exactly as every total leaves them out. Each line is counted once per breakdown: `vendor` rows
    carry vendor (unresolved vendors by the name as given) and contract, and answer either or both; `category` rows
    the category (and give the monthly and status totals). One small grain per breakdown keeps reads fast (a
    contract belongs to one vendor, so vendor and contract together are hardly more rows than vendor alone).

    Each breakdown has two grains: month rows (`day` null) answer whole months, day rows (`day` set, `month` its
    month) answer the partial months at either end of a period, so no period ever sums the lines themselves.
    """

    class Breakdown(models.TextChoices):
        VENDOR = "vendor", "Vendor and contract"
        CATEGORY = "category", "Category"

    # A derived table (rebuilt from the lines, whose references the database checks): no per-row foreign keys
    # or their indexes to slow the hundreds of thousands of rows a big upload adds; the ORM still cascades.
    practice = models.ForeignKey(
        "members.Practice",
        on_delete=models.CASCADE,
        related_name="savings_summaries",
        db_constraint=False,
        db_index=False,
    )
    breakdown = models.CharField(max_length=8, choices=Breakdown.choices)
    month = models.DateField(help_text="First day of the month of the purchase dates.")
    day = models.DateField(null=True, blank=True, help_text="The purchase date on day rows; null on month rows.")
    status = models.CharField(max_length=20, choices=PurchaseLine.Status.choices)
    vendor = models.ForeignKey(
        "vendors.Vendor",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="savings_summaries",
        db_constraint=False,
        db_index=False,
    )
    unresolved_vendor_name = models.CharField(
        max_length=300, blank=True, help_text="The vendor name as given, for lines with no resolved vendor."
    )
    category = models.ForeignKey(
        "vendors.Category",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="savings_summaries",
        db_constraint=False,
        db_index=False,
    )
    contract = models.ForeignKey(
        "contracts.Contract",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="savings_summaries",
        db_constraint=False,
        db_index=False,
    )
    # Whole cents: integer sums are exact and fast on every backend (SQLite would add decimals as floats).
    spend_cents = models.BigIntegerField(default=0)
    savings_cents = models.BigIntegerField(default=0)
    overcharge_cents = models.BigIntegerField(default=0)
    missed_savings_cents = models.BigIntegerField(default=0)
    line_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["practice", "breakdown", "month", "status"]
        verbose_name_plural = "savings summaries"
        # Month rows are found by `day IS NULL` and a month range, day rows by a day range: both lead with the
        # practice and breakdown, then day. The coalition's figures name no practice: their month rows have an
        # index of their own (bench-scale, 2M lines: the coalition year's three GROUP BYs read 88,400 of 3.2M
        # rows in 85 ms with it, 1.1 s by sequential scans without).
        indexes = [
            models.Index(fields=["practice", "breakdown", "day", "month"], name="summary_practice_day_idx"),
            models.Index(fields=["breakdown", "month"], name="summary_month_rows_idx", condition=Q(day__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.practice_id} {self.breakdown} {self.month:%Y-%m} {self.status}"


class FiguresVersion(models.Model):
    """A practice's figures version: a fresh random token whenever its savings summary changes (issue 16).

    Cached figures are keyed by the tokens of the practices they cover (reports.figures_cache), so a write that
    changes a practice's figures (an upload, a reprocess, a reconcile after a catalog change, a delete) makes every
    cached figure of that practice unreachable in the same transaction. Random rather than counted: a rolled-back
    transaction, a restored database or a reused practice id can never meet a cached figure made for other data.
    """

    practice = models.OneToOneField(
        "members.Practice", on_delete=models.CASCADE, primary_key=True, related_name="figures_version"
    )
    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return f"{self.practice_id} {self.token}"


class UploadAuditEntry(models.Model):
    """Append-only record of what happened to an upload (SECURITY.md item 12); it outlives the upload itself."""

    class Action(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        FAILED = "failed", "Failed"
        RETRIED = "retried", "Retried"
        DELETED = "deleted", "Deleted"
        REPROCESSED = "reprocessed", "Queued again with a corrected mapping"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=12, choices=Action.choices)
    upload_id_recorded = models.BigIntegerField(db_index=True, help_text="The upload's id (kept after deletion).")
    practice = models.ForeignKey("members.Practice", on_delete=models.PROTECT, related_name="upload_audit")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    original_filename = models.CharField(max_length=255)
    stored_name = models.CharField(max_length=300, blank=True)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.BigIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0)
    rows_accepted = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    rows_skipped = models.PositiveIntegerField(default=0)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "upload audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} upload {self.upload_id_recorded}"


class OverchargeClaim(TimeStampedModel):
    """A credit claim to one vendor for a practice's overcharged lines (DESIGN §4.7 overcharge), and its outcome.

    The claim keeps its own copy of the lines it was filed with (`ClaimLine`): it is the document the vendor got,
    so reprocessing an upload later never changes what was claimed.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        SENT = "sent", "Sent to vendor"
        CREDITED = "credited", "Credited"
        PARTLY_CREDITED = "partly_credited", "Partly credited"
        DENIED = "denied", "Denied"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey("members.Practice", on_delete=models.PROTECT, related_name="overcharge_claims")
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="overcharge_claims")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True)
    amount_claimed = models.DecimalField(max_digits=16, decimal_places=2)
    amount_recovered = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    period_start = models.DateField(help_text="The earliest purchase date of the claimed lines.")
    period_end = models.DateField(help_text="The latest purchase date of the claimed lines.")
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_claimed__gt=0), name="claim_amount_claimed_positive"),
            models.CheckConstraint(
                condition=Q(amount_recovered__gte=0) & Q(amount_recovered__lte=models.F("amount_claimed")),
                name="claim_recovered_within_claimed",
            ),
        ]

    def __str__(self) -> str:
        return f"Claim {self.public_id} {self.vendor_id} {self.amount_claimed}"


class ClaimLine(models.Model):
    """One overcharged line as it was claimed: the figures the vendor's contract administrator checks."""

    claim = models.ForeignKey(OverchargeClaim, on_delete=models.CASCADE, related_name="lines")
    # The purchase line claimed (no foreign key: lines are replaced on reprocess; the claim keeps its copy).
    purchase_line_id = models.BigIntegerField(db_index=True)
    upload_public_id = models.UUIDField()
    row_number = models.PositiveIntegerField()
    contract_number = models.CharField(max_length=60, blank=True)
    invoice_number = models.CharField(max_length=80, blank=True)
    po_number = models.CharField(max_length=80, blank=True)
    purchase_date = models.DateField()
    sku = models.CharField(max_length=120, blank=True)
    description = models.CharField(max_length=500, blank=True)
    quantity = models.DecimalField(max_digits=18, decimal_places=4)
    uom = models.CharField(max_length=40, blank=True)
    unit_price = models.DecimalField(max_digits=18, decimal_places=4, help_text="Paid per unit.")
    contract_price = models.DecimalField(max_digits=18, decimal_places=4)
    overcharge = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        ordering = ["purchase_date", "invoice_number", "id"]

    def __str__(self) -> str:
        return f"{self.claim_id}: {self.invoice_number} {self.sku} {self.overcharge}"


class ClaimEvent(models.Model):
    """Append-only history of a claim: who changed what and when (created, status, amount recovered, note)."""

    claim = models.ForeignKey(OverchargeClaim, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=16, choices=OverchargeClaim.Status.choices)
    amount_recovered = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.status}"


class MonthClose(TimeStampedModel):
    """A practice's month whose figures were published when its finance lead closed it.

    Later changes to that month's lines (a reprocess, a catalog price change, a deleted or late upload) do not change
    what was published silently: each is recorded as a `Restatement` with its deltas. Staff may reopen the month
    with a reason; closing it again starts a new close (a new row) from the figures of that moment.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey("members.Practice", on_delete=models.PROTECT, related_name="month_closes")
    month = models.DateField(help_text="First day of the closed month.")
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField()
    # The figures as published at close (DESIGN §4 rules 7-8: exact sums of the month's stored lines).
    spend = models.DecimalField(max_digits=16, decimal_places=2)
    on_contract_spend = models.DecimalField(max_digits=16, decimal_places=2)
    savings = models.DecimalField(max_digits=16, decimal_places=2)
    overcharge = models.DecimalField(max_digits=16, decimal_places=2)
    missed_savings = models.DecimalField(max_digits=16, decimal_places=2)
    line_count = models.PositiveIntegerField(default=0)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopen_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-month", "practice", "-closed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "month"],
                condition=Q(reopened_at__isnull=True),
                name="month_close_one_live_close_per_month",
            ),
            models.CheckConstraint(
                condition=Q(reopened_at__isnull=True) | ~Q(reopen_reason=""), name="month_close_reopen_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.practice} {self.month:%Y-%m}"

    @property
    def is_closed(self) -> bool:
        return self.reopened_at is None


class Restatement(models.Model):
    """A change to a closed month's figures after it was published, with the delta of each figure (append-only)."""

    class Cause(models.TextChoices):
        UPLOAD_ADDED = "upload_added", "A later upload added lines"
        REPROCESS = "reprocess", "An upload was reprocessed"
        UPLOAD_DELETED = "upload_deleted", "An upload was deleted"
        CATALOG_CHANGE = "catalog_change", "A contract or price changed"
        VENDOR_REVIEW = "vendor_review", "A vendor name was mapped"
        RECALCULATED = "recalculated", "Lines were reconciled again"

    month_close = models.ForeignKey(MonthClose, on_delete=models.PROTECT, related_name="restatements")
    recorded_at = models.DateTimeField(auto_now_add=True, db_index=True)
    cause = models.CharField(max_length=16, choices=Cause.choices)
    # Each delta = the figure now - the figure as last published (at close plus the restatements before this one).
    spend_delta = models.DecimalField(max_digits=16, decimal_places=2)
    on_contract_spend_delta = models.DecimalField(max_digits=16, decimal_places=2)
    savings_delta = models.DecimalField(max_digits=16, decimal_places=2)
    overcharge_delta = models.DecimalField(max_digits=16, decimal_places=2)
    missed_savings_delta = models.DecimalField(max_digits=16, decimal_places=2)
    line_count_delta = models.IntegerField(default=0)

    class Meta:
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.month_close} {self.cause} {self.spend_delta}"


def fee_report_storage_path(instance: AdminFeeReport, filename: str) -> str:
    """Generated storage name (SECURITY.md item 6); the vendor's file name is metadata only."""
    import secrets

    return f"admin-fee-reports/{secrets.token_hex(16)}"


class AdminFeeReport(TimeStampedModel):
    """A vendor's quarterly admin-fee report as received (kept for audit), with what reading it found."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="admin_fee_reports")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    original_file = models.FileField(upload_to=fee_report_storage_path, max_length=300)
    original_filename = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64, unique=True)
    file_format = models.CharField(max_length=8, blank=True)
    header_row = models.PositiveIntegerField(null=True, blank=True)
    column_mapping = models.JSONField(default=dict, blank=True)
    column_confidence = models.JSONField(default=dict, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_accepted = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    rows_skipped = models.PositiveIntegerField(default=0)
    # [{row, column, reason}] for rows not accepted (DESIGN §5: nothing is lost, nothing is silent).
    rejected = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.vendor} {self.original_filename}"


class AdminFeeReportLine(models.Model):
    """One row of a vendor's admin-fee report: a member's sales and fee on a contract in a quarter."""

    report = models.ForeignKey(AdminFeeReport, on_delete=models.CASCADE, related_name="lines")
    row_number = models.PositiveIntegerField()
    contract = models.ForeignKey("contracts.Contract", on_delete=models.PROTECT, related_name="admin_fee_lines")
    practice = models.ForeignKey(
        "members.Practice", on_delete=models.PROTECT, null=True, blank=True, related_name="admin_fee_lines"
    )
    member_id = models.CharField(max_length=120, blank=True)
    member_name = models.CharField(max_length=300, blank=True)
    quarter = models.DateField(help_text="First day of the quarter.")
    sales = models.DecimalField(max_digits=16, decimal_places=2)
    fee_rate = models.DecimalField(max_digits=9, decimal_places=4, null=True, blank=True)
    fee_reported = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    fee_paid = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["report", "row_number"]
        indexes = [models.Index(fields=["contract", "quarter"], name="fee_line_contract_quarter_idx")]

    def __str__(self) -> str:
        return f"{self.report_id}:{self.row_number} {self.member_name or self.member_id}"
