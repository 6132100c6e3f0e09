"""Purchase lines with stored reconciliation results, shared by the savings tests."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, cast

from gpo.members.models import Practice
from reports.models import PurchaseLine
from tests.factories import CategoryFactory, ContractFactory, PurchaseLineFactory, PurchaseUploadFactory, VendorFactory

Status = PurchaseLine.Status


def line(practice: Practice, **fields: Any) -> PurchaseLine:
    """One stored line of the practice with the given status and money (everything else defaulted)."""
    upload = fields.pop("upload", None) or PurchaseUploadFactory(practice=practice)
    fields.setdefault("status", Status.ON_CONTRACT)
    spend = fields.pop("spend", "10.00")
    money = {k: Decimal(str(fields.pop(k, "0.00"))) for k in ("savings", "overcharge", "missed_savings")}
    made = PurchaseLineFactory(upload=upload, practice=practice, spend=Decimal(str(spend)), **money, **fields)
    return cast(PurchaseLine, made)


def random_lines(practice: Practice, count: int, *, seed: int = 7, year: int = 2026) -> list[PurchaseLine]:
    """Many lines spread over the year, every status, odd cents, some repeats and pending lines."""
    rng = random.Random(seed)
    upload = PurchaseUploadFactory(practice=practice)
    vendors = [VendorFactory(), VendorFactory(), None]
    categories = [CategoryFactory(), None]
    contracts = [ContractFactory(vendor=vendors[0]), None]
    statuses = [s for s in Status if s != Status.PENDING]
    made: list[PurchaseLine] = []
    for _ in range(count):
        day = date(year, 1, 1) + timedelta(days=rng.randrange(365))
        status = rng.choice(statuses)
        vendor = rng.choice(vendors)
        cents = lambda low, high: Decimal(rng.randrange(low, high)) / 100  # noqa: E731
        made.append(
            line(
                practice,
                upload=upload,
                purchase_date=day,
                status=status,
                vendor=vendor,
                vendor_name=vendor.name if vendor else rng.choice(["Acme Supply", "ACME SUPPLY", "Zed Office"]),
                category=rng.choice(categories),
                contract=rng.choice(contracts),
                spend=cents(-5000, 500000),
                savings=cents(0, 9999) if status in {Status.ON_CONTRACT, Status.OVERCHARGED} else 0,
                overcharge=cents(1, 5000) if status == Status.OVERCHARGED else 0,
                missed_savings=cents(-300, 7000) if status != Status.ON_CONTRACT else 0,
            )
        )
    # A repeat of an earlier line and a pending line: neither may count anywhere.
    made.append(line(practice, upload=upload, purchase_date=date(year, 5, 5), spend="999.99", repeat_of=made[0]))
    made.append(line(practice, upload=upload, purchase_date=date(year, 5, 6), spend="888.88", status=Status.PENDING))
    return made
