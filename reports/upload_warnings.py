"""When an upload's result may not mean what it seems: the warnings of DESIGN.md §5 ("Never a confident wrong number").

Pure: the facts of one processed upload in, a list of warnings (code + a plain message naming the cause and the fix)
out. A warning never changes a figure. Each rule is written so that a clean export (the demo files, the real SCMS
history) raises none of the mapping warnings: thresholds sit where a wrong column shows, not where real files vary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from reports.columns import FIELD_LABELS, FIELDS, GUESS

# Codes (stable: the API returns them).
NO_DATA_ROWS = "no_data_rows"
ITEM_NUMBER_MISSING = "item_number_missing"
MAPPING_GUESSED = "mapping_guessed"
FEW_ITEMS_MATCHED = "few_items_matched"
NO_VENDOR_IN_CATALOG = "no_vendor_in_catalog"
DATES_OUT_OF_RANGE = "dates_out_of_range"
DATES_FAR_FROM_OTHER_UPLOADS = "dates_far_from_other_uploads"
ROWS_REJECTED_IN_BULK = "rows_rejected_in_bulk"
ROWS_SKIPPED_IN_BULK = "rows_skipped_in_bulk"
CODES = (
    NO_DATA_ROWS,
    ITEM_NUMBER_MISSING,
    MAPPING_GUESSED,
    FEW_ITEMS_MATCHED,
    NO_VENDOR_IN_CATALOG,
    DATES_OUT_OF_RANGE,
    DATES_FAR_FROM_OTHER_UPLOADS,
    ROWS_REJECTED_IN_BULK,
    ROWS_SKIPPED_IN_BULK,
)

FEW_MATCHED_MIN_LINES = 20  # below this, a low match rate is chance, not a wrong column
FEW_MATCHED_SHARE = 0.2
BULK_SHARE = 0.1
BULK_REJECTED_MIN_ROWS = 5
BULK_SKIPPED_MIN_ROWS = 10
YEARS_BACK = 10
FUTURE_SLACK_DAYS = 1  # time zones: "today" somewhere is tomorrow here
FAR_FROM_OTHERS_DAYS = 730


@dataclass(frozen=True)
class UploadWarning:
    """One thing the user should check: a stable code and a plain message naming the cause and the fix."""

    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class LineCounts:
    """Counted lines of an upload (repeats left out) by what reconciliation found."""

    counted: int = 0
    non_gpo_vendor: int = 0  # vendor unresolved, or no contract in the catalog
    off_contract: int = 0  # a vendor with contracts, but no contract item matched
    older_than_range: int = 0
    after_today: int = 0


@dataclass(frozen=True)
class UploadFacts:
    """What one processed upload found, as the warning rules need it."""

    today: date
    header_row: int | None
    mapping: dict[str, str]
    confidence: dict[str, str]
    rows_total: int
    rows_rejected: int
    rows_skipped: int
    lines: LineCounts = field(default_factory=LineCounts)
    first_date: date | None = None
    last_date: date | None = None
    other_uploads_span: tuple[date, date] | None = None
    top_rejection: tuple[str, str, int] | None = None  # (reason, column, rows)


def _n(count: int) -> str:
    return f"{count:,}"


def _column(facts: UploadFacts, name: str) -> str:
    return f"“{facts.mapping[name]}”"


def upload_warnings(facts: UploadFacts) -> list[UploadWarning]:
    """Every warning that applies to the upload, in the order a user should read them."""
    rules = (
        _no_data_rows,
        _item_number_missing,
        _few_items_matched,
        _no_vendor_in_catalog,
        _mapping_guessed,
        _dates_out_of_range,
        _dates_far_from_other_uploads,
        _rows_rejected_in_bulk,
        _rows_skipped_in_bulk,
    )
    return [warning for rule in rules if (warning := rule(facts)) is not None]


def _no_data_rows(facts: UploadFacts) -> UploadWarning | None:
    if facts.rows_total:
        return None
    where = f" (row {facts.header_row})" if facts.header_row else ""
    return UploadWarning(
        NO_DATA_ROWS,
        f"The header row{where} was found but there are no data rows under it, so nothing was imported. "
        "Check that the right sheet and header row were read, or that the export is not empty.",
    )


def _contracted_lines(facts: UploadFacts) -> int:
    return facts.lines.counted - facts.lines.non_gpo_vendor


def _item_number_missing(facts: UploadFacts) -> UploadWarning | None:
    contracted = _contracted_lines(facts)
    if "sku" in facts.mapping or "mfr_part_number" in facts.mapping or contracted <= 0:
        return None
    return UploadWarning(
        ITEM_NUMBER_MISSING,
        f"No column was recognised as the vendor item number; {_n(contracted)} lines from vendors with contracts "
        "could not be matched to a contract item, so their savings and overcharges are missing. Choose the "
        "item-number column and reprocess.",
    )


def _few_items_matched(facts: UploadFacts) -> UploadWarning | None:
    contracted = _contracted_lines(facts)
    if "sku" not in facts.mapping and "mfr_part_number" not in facts.mapping:
        return None
    if contracted < FEW_MATCHED_MIN_LINES:
        return None
    matched = contracted - facts.lines.off_contract
    if matched >= FEW_MATCHED_SHARE * contracted:
        return None
    columns = " or ".join(_column(facts, name) for name in ("sku", "mfr_part_number") if name in facts.mapping)
    return UploadWarning(
        FEW_ITEMS_MATCHED,
        f"Only {_n(matched)} of {_n(contracted)} lines from vendors with contracts matched a contract item. Check "
        f"that {columns} holds the vendors' item numbers (not your own item numbers); if another column does, "
        "choose it and reprocess.",
    )


def _no_vendor_in_catalog(facts: UploadFacts) -> UploadWarning | None:
    lines = facts.lines
    if not lines.counted or lines.non_gpo_vendor < lines.counted:
        return None
    return UploadWarning(
        NO_VENDOR_IN_CATALOG,
        f"None of the {_n(lines.counted)} lines is from a vendor with a contract in the catalog, so no line was "
        f"checked against a contract price. Check that {_column(facts, 'vendor_name')} holds vendor names; if it "
        "does, coalition staff can map the names in the vendor review queue.",
    )


def _mapping_guessed(facts: UploadFacts) -> UploadWarning | None:
    guessed = [name for name in FIELDS if facts.confidence.get(name) == GUESS and name in facts.mapping]
    if not guessed:
        return None
    listed = "; ".join(f"{FIELD_LABELS[name]} from {_column(facts, name)}" for name in guessed)
    return UploadWarning(
        MAPPING_GUESSED,
        f"Some columns were guessed with low confidence ({listed}). Check them in the column mapping and "
        "reprocess if one is wrong.",
    )


def _dates_out_of_range(facts: UploadFacts) -> UploadWarning | None:
    old, future = facts.lines.older_than_range, facts.lines.after_today
    if not old and not future:
        return None
    parts = []
    if old:
        parts.append(f"{_n(old)} lines are dated more than {YEARS_BACK} years ago (earliest {facts.first_date})")
    if future:
        parts.append(f"{_n(future)} lines are dated after today (latest {facts.last_date})")
    return UploadWarning(
        DATES_OUT_OF_RANGE,
        f"{' and '.join(parts)}. Check that {_column(facts, 'purchase_date')} holds the purchase date and that "
        "its dates read the right way round (month and day).",
    )


def _dates_far_from_other_uploads(facts: UploadFacts) -> UploadWarning | None:
    span, first, last = facts.other_uploads_span, facts.first_date, facts.last_date
    if span is None or first is None or last is None:
        return None
    gap = max((first - span[1]).days, (span[0] - last).days)
    if gap <= FAR_FROM_OTHERS_DAYS:
        return None
    return UploadWarning(
        DATES_FAR_FROM_OTHER_UPLOADS,
        f"This file's purchase dates ({first} to {last}) are more than two years from the practice's other uploads "
        f"({span[0]} to {span[1]}). Check that {_column(facts, 'purchase_date')} holds the purchase date.",
    )


def _rows_rejected_in_bulk(facts: UploadFacts) -> UploadWarning | None:
    rejected, total = facts.rows_rejected, facts.rows_total
    if not total or rejected < min(BULK_REJECTED_MIN_ROWS, total) or rejected < BULK_SHARE * total:
        return None
    most = ""
    if facts.top_rejection is not None:
        reason, column, count = facts.top_rejection
        where = f" in column “{column}”" if column else ""
        most = f" The most common reason ({_n(count)} rows): {reason}{where}."
    return UploadWarning(
        ROWS_REJECTED_IN_BULK,
        f"{_n(rejected)} of {_n(total)} data rows ({rejected / total:.0%}) were rejected and are not in any "
        f"figure.{most} Check the column mapping, or download the rejected rows, fix them and upload them again.",
    )


def _rows_skipped_in_bulk(facts: UploadFacts) -> UploadWarning | None:
    skipped = facts.rows_skipped
    rows = facts.rows_total + skipped
    if skipped < BULK_SKIPPED_MIN_ROWS or skipped < BULK_SHARE * rows:
        return None
    return UploadWarning(
        ROWS_SKIPPED_IN_BULK,
        f"{_n(skipped)} of {_n(rows)} rows ({skipped / rows:.0%}) were skipped as blank or total rows (no date and "
        "a cell starting with “total”). Check that they really are totals, not purchases with a missing date.",
    )


def ten_years_before(today: date) -> date:
    """The first day counted as within the last ten years."""
    try:
        return today.replace(year=today.year - YEARS_BACK)
    except ValueError:  # 29 February
        return today.replace(year=today.year - YEARS_BACK, day=28)


def latest_plausible(today: date) -> date:
    """The last purchase date not counted as in the future."""
    return today + timedelta(days=FUTURE_SLACK_DAYS)
