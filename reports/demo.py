"""Demo purchases for `seed_demo`: realistic AP spreadsheets pushed through the real upload pipeline.

For a handful of demo practices, a purchase file (csv or xlsx) is generated from the seeded demo catalog as read
from the database: mostly on-contract buys at the practice's price, some overcharges (last year's price, another
tier's price, list price), off-contract items, non-GPO vendors, contracts the practice has not joined, returns, a
pack-vs-each case, and the mess finance exports carry (a title row, a total row, AP vendor spellings, SKUs that lost
their leading zeros, a few bad rows that get rejected). Each file then goes through `upload_create` and
`upload_process`, so the dashboards show what a real upload would.

Deterministic (one seeded random per practice, dates counted back from `today`) and idempotent: a practice that
already has a demo upload is skipped.
"""

from __future__ import annotations

import csv
import io
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django.utils import timezone

from contracts.models import Contract, ContractItem, ContractPrice, Participation
from contracts.pricing import effective_on, keeps_tier, min_qty_allows
from gpo.members.models import Practice
from gpo.money import cents
from reports.models import PurchaseLine, PurchaseUpload
from reports.services.uploads import upload_create, upload_process
from vendors.models import Vendor

FILENAME_PREFIX = "demo-purchases-"
HISTORY_DAYS = 425  # about 14 months

# slug, file format, data lines (before the bad rows)
DEMO_PURCHASERS: list[tuple[str, str, int]] = [
    ("lakeside-radiology", "csv", 900),
    ("piedmont-imaging", "xlsx", 700),
    ("summit-diagnostic", "csv", 550),
    ("bayview-imaging", "xlsx", 500),
    ("heartland-radiology", "csv", 450),
]

# Suppliers no coalition contract covers (as AP systems spell them).
NON_GPO_VENDORS: list[tuple[str, list[tuple[str, str]]]] = [
    ("AMAZON.COM SERVICES LLC", [("Label printer tape", "EA"), ("USB-C dock", "EA"), ("Breakroom coffee pods", "BX")]),
    ("W W GRAINGER INC", [("Nitrile shop gloves", "BX"), ("LED troffer lamp", "EA"), ("Floor cleaner 1 gal", "EA")]),
    ("SYSCO CORPORATION", [("Bottled water 24 pk", "CS"), ("Paper cups 12 oz", "CS")]),
    ("IRON MOUNTAIN INC", [("Records storage box month", "EA"), ("Secure shredding pickup", "EA")]),
    ("STERICYCLE INC", [("Sharps container pickup", "EA"), ("Biohazard waste service", "EA")]),
    ("LANDAUER INC", [("Dosimetry badge quarterly", "EA"), ("Ring dosimeter", "EA")]),
    ("COMCAST BUSINESS", [("Fiber internet monthly", "EA")]),
    ("PITNEY BOWES GLOBAL FINANCIAL", [("Postage meter lease", "EA"), ("Postage refill", "EA")]),
]

# Off-contract buys from GPO vendors: items no contract lists.
OFF_CONTRACT_ITEMS: list[tuple[str, str, tuple[int, int]]] = [
    ("Specialty positioning sponge set", "EA", (40, 220)),
    ("Patient transfer board", "EA", (90, 300)),
    ("Ultrasound gel warmer", "EA", (120, 400)),
    ("Contrast warmer replacement bulb", "EA", (15, 60)),
    ("Disposable tourniquet", "BX", (12, 40)),
    ("Exam table paper 18 in", "CS", (30, 80)),
    ("Biopsy marker clip", "EA", (60, 180)),
    ("Lead apron hanger", "EA", (25, 90)),
]

# How often each kind of line appears (weights).
KINDS: list[tuple[str, int]] = [
    ("on_contract", 62),
    ("overcharge", 10),
    ("return", 2),
    ("each", 3),
    ("percent", 4),
    ("off_contract", 7),
    ("non_gpo", 6),
    ("not_participating", 6),
]

FOUR = Decimal("0.0001")


@dataclass
class Offer:
    """A contract item with its price rows, seen from one practice."""

    item: ContractItem
    contract: Contract
    prices: list[ContractPrice]
    tier: str | None  # the practice's tier on the contract; None when it has not joined
    joined_on: date | None


@dataclass
class Row:
    purchase_date: date | str
    vendor: str
    invoice: str
    po: str
    sku: str
    mfr_part: str
    description: str
    quantity: Decimal | str
    uom: str
    unit_price: Decimal | str
    extended: Decimal | str | None


def _in_window(row: ContractPrice, on: date) -> bool:
    return bool(effective_on(row.effective_from, row.effective_to or date.max, on))


def _contract_price(offer: Offer, on: date, quantity: Decimal, tier: str | None = None) -> Decimal | None:
    """The practice's contract price on a date: DESIGN §4.4's tier choice and min_qty (contracts.pricing) within one
    contract, for generating realistic paid prices."""
    tier = offer.tier if tier is None else tier
    rows = [row for row in offer.prices if _in_window(row, on)]
    has_own_tier = bool(tier) and any(row.tier == tier for row in rows)
    return min(
        (
            row.price
            for row in rows
            if keeps_tier(row.tier, tier, has_own_tier) and min_qty_allows(row.min_qty, quantity, 1)
        ),
        default=None,
    )


def _window(offer: Offer, start: date, end: date) -> tuple[date, date] | None:
    first = max(start, offer.contract.start_date, offer.joined_on or offer.contract.start_date)
    last = min(end, offer.contract.end_date)
    return (first, last) if first <= last else None


def _spelling(vendor: Vendor, aliases: dict[int, list[str]], rng: random.Random) -> str:
    names = aliases.get(vendor.pk, [])
    return rng.choice(names) if names and rng.random() < 0.6 else vendor.name


def _lost_zeros(value: str) -> str:
    """What Excel leaves of a code with leading zeros."""
    return value.lstrip("0") or value


def _offers(practice: Practice, rng: random.Random) -> tuple[list[Offer], list[Offer], list[Contract]]:
    """Joined item offers (a buying list), not-joined offers, and joined percent-off contracts."""
    joined = {
        part.contract_id: part
        for part in Participation.objects.filter(practice=practice).select_related("contract__vendor")
    }
    contracts = list(Contract.objects.exclude(status=Contract.Status.DRAFT).select_related("vendor").order_by("number"))
    mine: list[Offer] = []
    others: list[Offer] = []
    percent: list[Contract] = []
    for contract in contracts:
        part = joined.get(contract.pk)
        if contract.discount_pct is not None:
            if part is not None:
                percent.append(contract)
            continue
        items = list(contract.items.order_by("id").values_list("id", flat=True))
        if not items:
            continue
        picked = rng.sample(items, min(len(items), 30 if part else 6))
        rows: dict[int, list[ContractPrice]] = defaultdict(list)
        for price in ContractPrice.objects.filter(item_id__in=picked).order_by("id"):
            rows[price.item_id].append(price)
        for item in ContractItem.objects.filter(pk__in=picked).order_by("id"):
            offer = Offer(item, contract, rows[item.pk], part.tier if part else None, part.joined_on if part else None)
            (mine if part else others).append(offer)
    return mine, others, percent


class _Generator:
    def __init__(self, practice: Practice, *, today: date, seed: int) -> None:
        self.practice = practice
        self.rng = random.Random(seed)
        self.end = today - timedelta(days=3)
        self.start = today - timedelta(days=HISTORY_DAYS)
        self.mine, self.others, self.percent = _offers(practice, self.rng)
        self.aliases: dict[int, list[str]] = defaultdict(list)
        vendor_ids = {o.contract.vendor_id for o in self.mine + self.others} | {c.vendor_id for c in self.percent}
        for vendor in Vendor.objects.filter(pk__in=vendor_ids).prefetch_related("aliases"):
            self.aliases[vendor.pk] = [alias.name for alias in vendor.aliases.all()]
        self.gpo_vendors = sorted({o.contract.vendor for o in self.mine}, key=lambda v: v.pk)

    def _date(self, window: tuple[date, date]) -> date:
        return window[0] + timedelta(days=self.rng.randint(0, (window[1] - window[0]).days))

    def _pick(self, offers: list[Offer]) -> tuple[Offer, date] | None:
        for _ in range(20):
            offer = self.rng.choice(offers)
            window = _window(offer, self.start, self.end)
            if window is not None:
                return offer, self._date(window)
        return None

    def _item_row(self, offer: Offer, on: date, quantity: Decimal, price: Decimal, uom: str | None = None) -> Row:
        item = offer.item
        sku = item.vendor_sku
        mfr = item.mfr_part_number
        if self.rng.random() < 0.5:
            mfr = _lost_zeros(mfr)
            sku = _lost_zeros(sku)
        return Row(
            on,
            _spelling(offer.contract.vendor, self.aliases, self.rng),
            "",
            "",
            sku,
            mfr,
            item.description,
            quantity,
            uom or item.uom,
            price,
            cents(quantity * price),
        )

    def on_contract(self, *, sign: int = 1) -> Row | None:
        found = self._pick(self.mine)
        if found is None:
            return None
        offer, on = found
        quantity = Decimal(self.rng.choice((1, 1, 2, 2, 3, 4, 5, 6, 10, 12)))
        price = _contract_price(offer, on, quantity)
        if price is None:
            return None
        if price > 1000:  # service agreements and equipment: one at a time
            quantity = Decimal(1)
            price = _contract_price(offer, on, quantity) or price
        return self._item_row(offer, on, quantity * sign, price)

    def overcharge(self) -> Row | None:
        found = self._pick(self.mine)
        if found is None:
            return None
        offer, on = found
        quantity = Decimal(self.rng.randint(1, 6))
        price = _contract_price(offer, on, quantity)
        if price is None:
            return None
        if price > 1000:
            quantity = Decimal(1)
            price = _contract_price(offer, on, quantity) or price
        candidates: list[Decimal] = []
        older = [row.price for row in offer.prices if row.effective_to is not None and row.effective_to < on]
        older = [p for p in older if p > price * Decimal("1.01")]
        if older:
            candidates.append(max(older))  # last year's price still charged
        tiers = {row.tier for row in offer.prices if row.tier and _in_window(row, on)} - {offer.tier}
        for tier in sorted(tiers):
            other = _contract_price(offer, on, quantity, tier=tier)
            if other is not None and other > price * Decimal("1.01"):
                candidates.append(other)  # billed at another tier
        if offer.item.list_price is not None and offer.item.list_price > price * Decimal("1.01"):
            candidates.append(offer.item.list_price)  # contract price not loaded
        if not candidates:
            return None
        return self._item_row(offer, on, quantity, self.rng.choice(candidates))

    def each(self) -> Row | None:
        packs = [offer for offer in self.mine if 1 < offer.item.units_per_uom <= 100]
        if not packs:
            return None
        found = self._pick(packs)
        if found is None:
            return None
        offer, on = found
        units = offer.item.units_per_uom
        quantity = Decimal(units * self.rng.randint(1, 3))
        price = _contract_price(offer, on, quantity / units)
        if price is None:
            return None
        return self._item_row(offer, on, quantity, (price / units).quantize(FOUR), uom="EA")

    def not_participating(self) -> Row | None:
        found = self._pick(self.others)
        if found is None:
            return None
        offer, on = found
        quantity = Decimal(self.rng.randint(1, 8))
        tiers = sorted({row.tier for row in offer.prices if _in_window(row, on)})
        price = _contract_price(offer, on, quantity, tier=tiers[-1] if tiers else "")
        if price is None:
            return None
        paid = cents(price * Decimal(self.rng.choice(("1.08", "1.12", "1.18", "1.25"))))
        if offer.item.list_price is not None:
            paid = min(paid, offer.item.list_price)
        return self._item_row(offer, on, quantity, paid)

    def percent_off(self) -> Row | None:
        if not self.percent:
            return None
        contract = self.rng.choice(self.percent)
        window = (max(self.start, contract.start_date), min(self.end, contract.end_date))
        if window[0] > window[1]:
            return None
        on = self._date(window)
        quantity = Decimal(self.rng.randint(1, 10))
        price = Decimal(self.rng.randint(300, 9000)) / 100
        return Row(
            on,
            _spelling(contract.vendor, self.aliases, self.rng),
            "",
            "",
            f"{self.rng.randint(100000, 999999)}",
            "",
            f"{contract.vendor.name} order ({contract.title.split(':')[0].lower()})",
            quantity,
            "EA",
            price,
            cents(quantity * price),
        )

    def off_contract(self) -> Row | None:
        if not self.gpo_vendors:
            return None
        vendor = self.rng.choice(self.gpo_vendors)
        description, uom, (low, high) = self.rng.choice(OFF_CONTRACT_ITEMS)
        on = self._date((self.start, self.end))
        quantity = Decimal(self.rng.randint(1, 5))
        price = Decimal(self.rng.randint(low * 100, high * 100)) / 100
        return Row(
            on,
            _spelling(vendor, self.aliases, self.rng),
            "",
            "",
            f"OC{self.rng.randint(10000, 99999)}",
            "",
            description,
            quantity,
            uom,
            price,
            cents(quantity * price),
        )

    def non_gpo(self) -> Row:
        vendor, items = self.rng.choice(NON_GPO_VENDORS)
        description, uom = self.rng.choice(items)
        on = self._date((self.start, self.end))
        quantity = Decimal(self.rng.randint(1, 4))
        price = Decimal(self.rng.randint(900, 45000)) / 100
        return Row(on, vendor, "", "", "", "", description, quantity, uom, price, cents(quantity * price))

    def rows(self, count: int) -> list[Row]:
        makers: dict[str, Callable[[], Row | None]] = {
            "on_contract": self.on_contract,
            "overcharge": self.overcharge,
            "return": lambda: self.on_contract(sign=-1),
            "each": self.each,
            "percent": self.percent_off,
            "off_contract": self.off_contract,
            "non_gpo": self.non_gpo,
            "not_participating": self.not_participating,
        }
        names = [name for name, _ in KINDS]
        weights = [weight for _, weight in KINDS]
        rows: list[Row] = []
        # One of each kind first so every status shows up, then the weighted mix.
        plan = names + self.rng.choices(names, weights=weights, k=count - len(names))
        for name in plan:
            row = makers[name]()
            if row is None:
                row = self.on_contract()
            if row is not None:
                rows.append(row)
        rows.sort(key=lambda row: (row.purchase_date, row.vendor))
        self._invoices(rows)
        return rows

    def _invoices(self, rows: list[Row]) -> None:
        """Lines from one vendor on one day share an invoice and a PO."""
        numbers: dict[tuple[Any, str], tuple[str, str]] = {}
        for row in rows:
            key = (row.purchase_date, row.vendor)
            if key not in numbers:
                numbers[key] = (f"INV{self.rng.randint(1000000, 9999999)}", f"PO-{self.rng.randint(20000, 89999)}")
            row.invoice, row.po = numbers[key]

    def bad_rows(self) -> list[Row]:
        """Rows an AP export really carries and the pipeline must reject, each with a reason."""
        on = self.end - timedelta(days=10)
        vendor = self.gpo_vendors[0].name if self.gpo_vendors else "Medline Industries"
        return [
            Row(on, "", "INV-MISSING", "", "X100", "", "Freight adjustment", Decimal(1), "EA", Decimal("25.00"), None),
            Row(
                "N/A", vendor, "INV-NODATE", "", "X101", "", "Backorder placeholder", Decimal(2), "EA", Decimal(9), None
            ),
            Row(on, vendor, "INV-ZERO", "", "X102", "", "Cancelled line", Decimal(0), "EA", Decimal("14.50"), None),
            Row(on, vendor, "INV-TBD", "", "X103", "", "Price to be confirmed", Decimal(3), "EA", "TBD", ""),
        ]


CSV_HEADER = [
    "Invoice Date",
    "Vendor Name",
    "Invoice No",
    "PO Number",
    "Item Number",
    "Mfr Part Number",
    "Item Description",
    "Qty",
    "UOM",
    "Unit Price",
    "Extended Amount",
]
XLSX_HEADER = [
    "Posting Date",
    "Supplier",
    "Inv No",
    "Purchase Order",
    "Catalog No",
    "MPN",
    "Product Description",
    "Quantity",
    "Unit of Measure",
    "Unit Cost",
    "Line Total",
]


def _money_text(value: Decimal | str | None) -> str:
    if value is None or isinstance(value, str):
        return value or ""
    text = f"${abs(value):,.2f}"
    return f"({text})" if value < 0 else text


def _csv_file(practice: Practice, rows: list[Row], total: Decimal) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([f"{practice.name} - AP invoice line detail"])
    writer.writerow([f"Generated for the coalition purchase review; {len(rows)} lines"])
    writer.writerow([])
    writer.writerow(CSV_HEADER)
    for row in rows:
        when = row.purchase_date.strftime("%m/%d/%Y") if isinstance(row.purchase_date, date) else row.purchase_date
        price = row.unit_price if isinstance(row.unit_price, str) else f"{row.unit_price.normalize():f}"
        writer.writerow(
            [
                when,
                row.vendor,
                row.invoice,
                row.po,
                row.sku,
                row.mfr_part,
                row.description,
                f"{row.quantity}",
                row.uom,
                price,
                _money_text(row.extended),
            ]
        )
    writer.writerow(["", "", "", "", "", "", "Total", "", "", "", _money_text(total)])
    return out.getvalue().encode()


def _xlsx_file(practice: Practice, rows: list[Row], total: Decimal) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "AP Detail"
    sheet.append([f"{practice.name}: purchases by invoice line"])
    sheet.append([])
    sheet.append(XLSX_HEADER)
    for row in rows:
        sku: Any = int(row.sku) if row.sku.isdigit() else row.sku  # Excel turns digit codes into numbers
        quantity: Any = row.quantity if isinstance(row.quantity, str) else float(row.quantity)
        price: Any = row.unit_price if isinstance(row.unit_price, str) else float(row.unit_price)
        extended: Any = float(row.extended) if isinstance(row.extended, Decimal) else row.extended
        sheet.append(
            [
                *(row.purchase_date, row.vendor, row.invoice, row.po, sku, row.mfr_part, row.description),
                *(quantity, row.uom, price, extended),
            ]
        )
    sheet.append([None, None, None, None, None, None, "Total", None, None, None, float(total)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def purchase_file(practice: Practice, *, file_format: str, lines: int, today: date, seed: int) -> bytes:
    """A realistic purchase spreadsheet for one practice, from the catalog in the database."""
    generator = _Generator(practice, today=today, seed=seed)
    rows = generator.rows(lines)
    bad = generator.bad_rows()
    for position, row in zip((len(rows) // 5, len(rows) // 3, len(rows) // 2, len(rows) - 7), bad, strict=True):
        rows.insert(position, row)
    total = sum((row.extended for row in rows if isinstance(row.extended, Decimal)), Decimal(0))
    if file_format == "xlsx":
        return _xlsx_file(practice, rows, total)
    return _csv_file(practice, rows, total)


def seed_purchases(*, today: date | None = None) -> dict[str, dict[str, Any]]:
    """Upload and process one demo purchase file per demo purchaser; returns a summary per practice slug.

    Idempotent: a practice with a demo upload already is reported as skipped and left alone.
    """
    today = today or timezone.localdate()
    practices = {p.slug: p for p in Practice.objects.filter(slug__in=[slug for slug, _, _ in DEMO_PURCHASERS])}
    summary: dict[str, dict[str, Any]] = {}
    for index, (slug, file_format, lines) in enumerate(DEMO_PURCHASERS):
        practice = practices.get(slug)
        if practice is None:
            continue
        existing = PurchaseUpload.objects.filter(practice=practice, original_filename__startswith=FILENAME_PREFIX)
        upload = existing.order_by("pk").first()
        created = upload is None
        if upload is None:
            content = purchase_file(practice, file_format=file_format, lines=lines, today=today, seed=1000 + index)
            filename = f"{FILENAME_PREFIX}{slug}.{file_format}"
            upload = upload_create(
                practice=practice,
                user=None,
                file=SimpleUploadedFile(filename, content),
                filename=filename,
                enqueue=False,
            )
            upload = upload_process(upload_id=upload.pk, practice_id=practice.pk)
        totals = PurchaseLine.objects.filter(upload=upload, repeat_of__isnull=True).aggregate(
            savings=Sum("savings"), overcharge=Sum("overcharge")
        )
        summary[slug] = {
            "created": created,
            "upload_id": upload.pk,
            "status": upload.status,
            "lines": upload.rows_total,
            "accepted": upload.rows_accepted,
            "rejected": upload.rows_rejected,
            "savings": cents(Decimal(totals["savings"] or 0)),
            "overcharge": cents(Decimal(totals["overcharge"] or 0)),
        }
    return summary
