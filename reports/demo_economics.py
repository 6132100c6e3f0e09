"""Demo data for coalition economics (`seed_demo`): closed months with a restatement, and what later features need."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gpo.members.models import Practice
from reports.demo import DEMO_PURCHASERS
from reports.models import MonthClose, PurchaseLine, Restatement
from reports.periods import add_months
from reports.services.month_closes import month_close_create
from reports.services.uploads import upload_create, upload_process

LATE_CREDIT_FILENAME = "demo-late-credit-memo.csv"
CLOSED_MONTHS = 3


def seed_month_closes(*, today: date | None = None) -> dict[str, int]:
    """Close the last three whole months of every demo purchaser, then upload a late credit memo into one of
    Lakeside's closed months so it carries a restatement. Idempotent: closed months and the memo are kept."""
    today = today or timezone.localdate()
    months = [add_months(today.replace(day=1), -back) for back in range(CLOSED_MONTHS, 0, -1)]
    slugs = [slug for slug, _, _ in DEMO_PURCHASERS]
    for practice in Practice.objects.filter(slug__in=slugs):
        for month in months:
            if not MonthClose.objects.filter(practice=practice, month=month).exists():
                month_close_create(practice=practice, month=month, user=None)
    lakeside = Practice.objects.filter(slug="lakeside-radiology").first()
    if lakeside is not None and not lakeside.uploads.filter(original_filename=LATE_CREDIT_FILENAME).exists():
        _late_credit_upload(lakeside, months[1])
    return {
        "closed": MonthClose.objects.filter(practice__slug__in=slugs).count(),
        "restatements": Restatement.objects.filter(month_close__practice__slug__in=slugs).count(),
    }


def _late_credit_upload(practice: Practice, month: date) -> Any:
    """A vendor's credit memo for two on-contract lines of a closed month, arriving after the close."""
    lines = PurchaseLine.objects.filter(
        practice=practice,
        status=PurchaseLine.Status.ON_CONTRACT,
        purchase_date__gte=month,
        purchase_date__lt=add_months(month, 1),
        repeat_of__isnull=True,
    ).order_by("purchase_date", "id")[:2]
    rows = ["Invoice Date,Vendor,Item Number,Description,Qty,UOM,Unit Price,Invoice No"]
    for number, line in enumerate(lines, start=1):
        rows.append(
            f"{line.purchase_date.isoformat()},{line.vendor_name.replace(',', ' ')},{line.sku},"
            f"Credit: {line.description.replace(',', ' ')[:40]},-1,{line.uom},{line.unit_price},CM-{number:04d}"
        )
    if len(rows) == 1:
        return None
    content = ("\n".join(rows) + "\n").encode()
    upload = upload_create(
        practice=practice,
        user=None,
        file=SimpleUploadedFile(LATE_CREDIT_FILENAME, content),
        filename=LATE_CREDIT_FILENAME,
        enqueue=False,
    )
    return upload_process(upload_id=upload.pk, practice_id=practice.pk)


def seed_tier_terms(*, today: date | None = None) -> list[str]:
    """Give the two demo contracts with the most tier-priced member spend tier thresholds (spend over 12 months):
    Tier 3 from 0, Tier 2 at 60 % of the members' last 12 months, Tier 1 at 120 %, so the simulator shows a gap.
    Idempotent: contracts that already have tiers are left alone. Returns the contract numbers."""
    from contracts.models import Contract, ContractTier
    from contracts.services import contract_tier_create, contract_update
    from reports.selectors.savings import ON_CONTRACT_STATUSES, counted_lines, lines_in_periods
    from reports.selectors.tiers import whole_months_before

    today = today or timezone.localdate()
    window = whole_months_before(today, 12)
    tiered = Contract.objects.filter(items__prices__tier="Tier 1").distinct()
    spend: list[tuple[Decimal, Contract]] = []
    for contract in tiered:
        lines = lines_in_periods(counted_lines(), [window]).filter(contract=contract, status__in=ON_CONTRACT_STATUSES)
        total = sum(lines.values_list("spend", flat=True), Decimal(0))
        if total > 0:
            spend.append((total, contract))
    chosen = sorted(spend, key=lambda pair: (-pair[0], pair[1].number))[:2]
    for total, contract in chosen:
        if ContractTier.objects.filter(contract=contract).exists():
            continue
        contract_update(contract=contract, source="seed_demo", tier_basis="spend", tier_period_months=12)
        for tier, share in (("Tier 3", Decimal(0)), ("Tier 2", Decimal("0.6")), ("Tier 1", Decimal("1.2"))):
            threshold = (total * share / 1000).quantize(Decimal(1)) * 1000
            contract_tier_create(contract=contract, source="seed_demo", tier=tier, threshold=threshold)
    return [contract.number for _, contract in chosen]


def seed_commitment_terms(*, today: date | None = None) -> list[str]:
    """Give two demo contracts with member spend a 12-month spend commitment that began six months ago: one set
    25 % above its linear projection (at risk, with a penalty and a tier drop), one 20 % below (on track).
    Idempotent: contracts that already carry a commitment are left alone. Returns the contract numbers."""
    from contracts.models import Contract
    from contracts.services import contract_update
    from reports.selectors.commitments import commitment_get

    today = today or timezone.localdate()
    start = add_months(today.replace(day=1), -6)
    end = add_months(start, 12) - timedelta(days=1)
    if Contract.objects.filter(commitment_amount__isnull=False, commitment_start=start).exists():
        return list(Contract.objects.filter(commitment_start=start).values_list("number", flat=True))
    candidates = Contract.objects.filter(
        commitment_amount__isnull=True, start_date__lte=start, end_date__gte=today, purchase_lines__isnull=False
    ).distinct()
    chosen = []
    for contract in candidates.order_by("number")[:8]:
        probe = {"commitment_basis": "spend", "commitment_start": start, "commitment_end": end}
        contract.commitment_amount = Decimal(1)
        for field, value in probe.items():
            setattr(contract, field, value)
        projected = Decimal(commitment_get(contract, as_of=today)["projection"] or 0)
        if projected >= 1000:
            chosen.append((contract, projected))
        if len(chosen) == 2:
            break
    for index, (contract, projected) in enumerate(chosen):
        factor = Decimal("1.25") if index == 0 else Decimal("0.8")
        contract.refresh_from_db()
        contract_update(
            contract=contract,
            source="seed_demo",
            commitment_basis="spend",
            commitment_amount=(projected * factor / 100).quantize(Decimal(1)) * 100,
            commitment_start=start,
            commitment_end=end,
            commitment_penalty=Decimal("2500.00") if index == 0 else None,
            commitment_drop_tier="Tier 3"
            if index == 0 and contract.items.filter(prices__tier="Tier 3").exists()
            else "",
        )
    return [contract.number for contract, _ in chosen]


DEMO_FEE_REPORT = "demo-admin-fee-report.csv"


def seed_admin_fee_report(*, today: date | None = None) -> str | None:
    """A vendor's admin-fee report for the last whole quarter in the distributors' standard layout: every member's
    on-contract sales as uploaded, except the largest one's, reported 15 % short (and its fee with it), so the audit
    has an under-reported member to find. Idempotent (the file is imported once). Returns the vendor's slug."""
    from django.db.models import Sum

    from reports.admin_fees import STANDARD_LAYOUT, quarter_label
    from reports.models import AdminFeeReport
    from reports.selectors.admin_fees import quarter_end
    from reports.selectors.savings import ON_CONTRACT_STATUSES, counted_lines, lines_in_periods
    from reports.services.admin_fees import admin_fee_report_create

    if AdminFeeReport.objects.filter(original_filename=DEMO_FEE_REPORT).exists():
        return AdminFeeReport.objects.filter(original_filename=DEMO_FEE_REPORT).values_list("vendor__slug", flat=True)[
            0
        ]
    today = today or timezone.localdate()
    this_quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    first = add_months(this_quarter, -3)
    lines = lines_in_periods(counted_lines(), [(first, quarter_end(first))]).filter(
        status__in=sorted(ON_CONTRACT_STATUSES), contract__admin_fee_pct__gt=0
    )
    sums = list(
        lines.values("contract__vendor__name", "contract__vendor__slug", "contract__number", "contract__admin_fee_pct")
        .annotate(spend=Sum("spend"))
        .values_list("contract__vendor__slug", flat=True)
    )
    if not sums:
        return None
    vendor_slug = max(set(sums), key=sums.count)
    rows = (
        lines.filter(contract__vendor__slug=vendor_slug)
        .values(
            "contract__vendor__name", "contract__number", "contract__admin_fee_pct", "practice__slug", "practice__name"
        )
        .annotate(spend=Sum("spend"))
        .order_by("-spend")
    )
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")
    out.writerow(STANDARD_LAYOUT.values())
    for index, row in enumerate(rows):
        sales = Decimal(row["spend"]).quantize(Decimal("0.01"))
        if index == 0:
            sales = (sales * Decimal("0.85")).quantize(Decimal("0.01"))
        fee = (sales * row["contract__admin_fee_pct"] / 100).quantize(Decimal("0.01"))
        out.writerow(
            [
                row["contract__vendor__name"],
                row["contract__number"],
                row["practice__slug"],
                row["practice__name"],
                quarter_label(first),
                sales,
                f"{row['contract__admin_fee_pct']:.2f}%",
                fee,
                fee,
            ]
        )
    content = buffer.getvalue().encode()
    admin_fee_report_create(file=SimpleUploadedFile(DEMO_FEE_REPORT, content), user=None, vendor=vendor_slug)
    return vendor_slug
