"""Contracts, participation, contract items and effective-dated prices (DESIGN.md section 3)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from gpo.db import TimeStampedModel


class Basis(models.TextChoices):
    """What a tier threshold or a commitment counts: units bought (in the items' UOM) or money spent."""

    VOLUME = "volume", "Volume (units)"
    SPEND = "spend", "Spend ($)"


class Contract(TimeStampedModel):
    """A vendor agreement negotiated by the coalition; in force on days start..end when not a draft."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"

    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="contracts")
    number = models.CharField(max_length=64, unique=True)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    start_date = models.DateField()
    end_date = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    admin_fee_pct = models.DecimalField(max_digits=7, decimal_places=4, default=0)
    # "X % off list" contracts with no item list (DESIGN §4.5); a percentage, 0 < k < 100.
    discount_pct = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    renewal_notice_days = models.PositiveIntegerField(default=90)
    open_to_all_members = models.BooleanField(default=True)
    eligible_practices = models.ManyToManyField("members.Practice", blank=True, related_name="eligible_contracts")
    terms = models.TextField(blank=True, help_text="Payment, freight, rebate and termination terms.")
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    # Tiered pricing (optional): members' aggregate volume or spend over the last `tier_period_months` whole months
    # decides which ContractTier the coalition reaches (reports.tiers simulates the next one).
    tier_basis = models.CharField(max_length=8, choices=Basis.choices, blank=True)
    tier_period_months = models.PositiveSmallIntegerField(null=True, blank=True)
    # A committed volume or spend over commitment_start..commitment_end (both inclusive), and what a shortfall costs:
    # a penalty, and/or the tier whose prices members fall back to (reports.commitments projects it).
    commitment_basis = models.CharField(max_length=8, choices=Basis.choices, blank=True)
    commitment_amount = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    commitment_start = models.DateField(null=True, blank=True)
    commitment_end = models.DateField(null=True, blank=True)
    commitment_penalty = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    commitment_drop_tier = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["vendor__name", "number"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="contract_end_after_start"),
            models.CheckConstraint(
                condition=Q(admin_fee_pct__gte=0) & Q(admin_fee_pct__lte=100), name="contract_admin_fee_pct_range"
            ),
            models.CheckConstraint(
                condition=Q(discount_pct__isnull=True) | (Q(discount_pct__gt=0) & Q(discount_pct__lt=100)),
                name="contract_discount_pct_range",
            ),
            models.CheckConstraint(
                condition=Q(tier_period_months__isnull=True) | Q(tier_period_months__gte=1, tier_period_months__lte=36),
                name="contract_tier_period_months_range",
            ),
            models.CheckConstraint(
                condition=Q(commitment_amount__isnull=True)
                | (
                    Q(commitment_amount__gt=0)
                    & Q(commitment_start__isnull=False)
                    & Q(commitment_end__gte=F("commitment_start"))
                    & ~Q(commitment_basis="")
                ),
                name="contract_commitment_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class ContractTier(TimeStampedModel):
    """A pricing tier of a contract and the aggregate volume or spend (per the contract's tier period) reaching it.

    `tier` names the tier as price rows and participations do (ContractPrice.tier, Participation.tier).
    """

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="tiers")
    tier = models.CharField(max_length=40)
    threshold = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        ordering = ["contract", "threshold", "tier"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "tier"], name="tier_unique_per_contract"),
            models.CheckConstraint(condition=Q(threshold__gte=0), name="tier_threshold_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.contract.number} {self.tier} from {self.threshold}"


class ContractDocument(TimeStampedModel):
    """A signed agreement, amendment or price file attached to a contract."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to="contract-documents/")

    def __str__(self) -> str:
        return self.title


class Participation(TimeStampedModel):
    """A practice's letter of participation in a contract, with its pricing tier on that contract."""

    practice = models.ForeignKey("members.Practice", on_delete=models.PROTECT, related_name="participations")
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="participations")
    joined_on = models.DateField()
    tier = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["contract", "practice"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "contract"], name="participation_unique_practice_contract"),
        ]

    def __str__(self) -> str:
        return f"{self.practice} in {self.contract.number}"


class ContractItem(TimeStampedModel):
    """A product or service a contract prices, in its unit of measure."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="items")
    vendor_sku = models.CharField(max_length=80)
    vendor_sku_normalized = models.CharField(max_length=80, db_index=True, editable=False)
    manufacturer = models.CharField(max_length=200, blank=True)
    mfr_part_number = models.CharField(max_length=80, blank=True)
    mfr_part_normalized = models.CharField(max_length=80, db_index=True, blank=True, editable=False)
    description = models.CharField(max_length=500, blank=True)
    uom = models.CharField(max_length=16, default="EA", help_text="Folded unit of measure code (EA, BX, CS, PK…).")
    units_per_uom = models.PositiveIntegerField(default=1)
    list_price = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    category = models.ForeignKey(
        "vendors.Category", on_delete=models.PROTECT, null=True, blank=True, related_name="items"
    )

    class Meta:
        ordering = ["contract", "vendor_sku"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "vendor_sku_normalized"], name="item_unique_sku_per_contract"),
            models.CheckConstraint(condition=Q(units_per_uom__gte=1), name="item_units_per_uom_positive"),
            models.CheckConstraint(
                condition=Q(list_price__isnull=True) | Q(list_price__gt=0), name="item_list_price_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vendor_sku} {self.description}"


class ContractPrice(TimeStampedModel):
    """The price of an item per its UOM from effective_from to effective_to (inclusive; open when blank)."""

    item = models.ForeignKey(ContractItem, on_delete=models.PROTECT, related_name="prices")
    price = models.DecimalField(max_digits=14, decimal_places=4)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    tier = models.CharField(max_length=40, blank=True, help_text="Blank: every tier.")
    min_qty = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)

    class Meta:
        ordering = ["item", "tier", "min_qty", "effective_from"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="price_positive"),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="price_window_ordered",
            ),
            models.CheckConstraint(condition=Q(min_qty__isnull=True) | Q(min_qty__gt=0), name="price_min_qty_positive"),
        ]
        indexes = [models.Index(fields=["item", "effective_from"], name="price_item_from_idx")]

    def __str__(self) -> str:
        return f"{self.item.vendor_sku} {self.price} from {self.effective_from}"


class CatalogChange(models.Model):
    """Append-only audit row for every contract, item, price or participation change (STYLE.md rule 14)."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        DELETED = "deleted", "Deleted"

    changed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source = models.CharField(max_length=40, help_text="admin, api, import_catalog, import_price_list…")
    action = models.CharField(max_length=16, choices=Action.choices)
    object_type = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    contract_number = models.CharField(max_length=64, blank=True, db_index=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.changed_at:%Y-%m-%d %H:%M} {self.action} {self.object_type} {self.object_id}"
