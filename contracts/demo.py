"""A realistic radiology catalog for `seed_demo`: vendors, aliases, contracts, items, prices and participations.

Deterministic (seeded random per contract) and idempotent: a contract that already exists is left alone, so running
`seed_demo` twice changes nothing. Vendors, contracts and participations go through the catalog services (audited);
items and prices are bulk-created for speed with the same normalised fields the services compute.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction

from contracts.models import CatalogChange, Contract, ContractDocument, ContractItem, ContractPrice, Participation
from contracts.services import contract_create, participation_create
from gpo.members.models import Practice
from vendors.models import Category, Vendor, VendorAlias
from vendors.normalize import fold_uom, normalize_sku
from vendors.services import category_get_or_create, vendor_alias_add, vendor_create, vendor_find

SOURCE = "seed_demo"
TIERS = ("Tier 1", "Tier 2", "Tier 3")
# Tier 1 commits the most volume and gets the lowest price.
TIER_FACTORS = {"Tier 1": Decimal("0.90"), "Tier 2": Decimal("0.95"), "Tier 3": Decimal("1.00")}
OLD_PRICE_FACTOR = Decimal("1.04")  # last year's window was ~4 % dearer

# (name, category path, website, description, aliases as AP exports spell them)
VENDORS: list[tuple[str, str, str, str, list[str]]] = [
    (
        "GE Healthcare",
        "Contrast media > Iodinated",
        "https://www.gehealthcare.com",
        "Omnipaque, Visipaque and Clariscan contrast; CT/MR service.",
        ["GE HEALTHCARE INC", "GE Healthcare, Inc.", "GE MEDICAL SYSTEMS"],
    ),
    (
        "Bayer HealthCare",
        "Contrast media > Gadolinium",
        "https://www.radiologysolutions.bayer.com",
        "Ultravist, Gadavist and MEDRAD injectors and syringes.",
        ["BAYER HEALTHCARE LLC", "Bayer Healthcare Pharmaceuticals", "BAYER MEDRAD"],
    ),
    (
        "Bracco Diagnostics",
        "Contrast media > Iodinated",
        "https://www.bracco.com",
        "Isovue, MultiHance, ProHance and Lumason; ACIST injectors.",
        ["BRACCO DIAGNOSTICS INC", "Bracco Diagnostics Inc.", "BRACCO IMAGING"],
    ),
    (
        "Guerbet",
        "Contrast media > Iodinated",
        "https://www.guerbet.com",
        "Optiray, Dotarem and Elucirem contrast; OptiVantage injectors.",
        ["GUERBET LLC", "Guerbet, LLC"],
    ),
    (
        "Lantheus Medical Imaging",
        "Contrast media > Ultrasound",
        "https://www.lantheus.com",
        "Definity ultrasound enhancing agent.",
        ["LANTHEUS MEDICAL IMAGING INC", "Lantheus"],
    ),
    (
        "E-Z-EM",
        "Contrast media > Barium",
        "https://www.bracco.com",
        "Barium sulfate oral and rectal contrast.",
        ["EZEM INC", "E Z EM"],
    ),
    (
        "Ulrich Medical USA",
        "Injectors and syringes",
        "https://www.ulrichmedicalusa.com",
        "CT Motion syringeless injectors and consumables.",
        ["ULRICH MEDICAL USA INC"],
    ),
    (
        "Nemoto Healthcare",
        "Injectors and syringes",
        "https://www.nemoto-do.co.jp",
        "Dual Shot injectors and syringe kits.",
        ["NEMOTO KYORINDO"],
    ),
    (
        "Siemens Healthineers",
        "Imaging equipment service > CT and MR",
        "https://www.siemens-healthineers.com",
        "Service agreements for SOMATOM CT and MAGNETOM MR.",
        ["SIEMENS MEDICAL SOLUTIONS USA INC", "Siemens Medical Solutions"],
    ),
    (
        "Philips Healthcare",
        "Imaging equipment service > CT and MR",
        "https://www.philips.com/healthcare",
        "Service for Ingenia MR, Incisive CT and EPIQ ultrasound.",
        ["PHILIPS HEALTHCARE NA", "Philips North America LLC"],
    ),
    (
        "Canon Medical Systems USA",
        "Imaging equipment service > CT and MR",
        "https://us.medical.canon",
        "Aquilion CT and Vantage MR service.",
        ["CANON MEDICAL SYSTEMS USA INC"],
    ),
    (
        "Fujifilm Healthcare Americas",
        "Imaging equipment service > X-ray and mammography",
        "https://healthcaresolutions-us.fujifilm.com",
        "DR panels, mammography and Synapse PACS.",
        ["FUJIFILM HEALTHCARE AMERICAS CORP"],
    ),
    (
        "Hologic",
        "Imaging equipment service > X-ray and mammography",
        "https://www.hologic.com",
        "3Dimensions mammography service and biopsy supplies.",
        ["HOLOGIC INC", "Hologic, Inc."],
    ),
    (
        "Agfa HealthCare",
        "PACS, RIS and IT > PACS",
        "https://www.agfahealthcare.com",
        "Enterprise imaging PACS and DR retrofits.",
        ["AGFA HEALTHCARE CORP"],
    ),
    (
        "Sectra",
        "PACS, RIS and IT > PACS",
        "https://medical.sectra.com",
        "Sectra PACS and cloud archive.",
        ["SECTRA INC"],
    ),
    (
        "Intelerad Medical Systems",
        "PACS, RIS and IT > RIS",
        "https://www.intelerad.com",
        "InteleRIS, InteleViewer and PowerServer.",
        ["INTELERAD MEDICAL SYSTEMS INC"],
    ),
    (
        "Nuance Communications",
        "PACS, RIS and IT > Dictation",
        "https://www.nuance.com",
        "PowerScribe One radiology reporting.",
        ["NUANCE COMMUNICATIONS INC", "Microsoft Nuance"],
    ),
    (
        "CDW Healthcare",
        "PACS, RIS and IT > Hardware",
        "https://www.cdw.com",
        "Diagnostic displays, workstations and networking.",
        ["CDW LLC", "CDW GOVERNMENT LLC"],
    ),
    (
        "Dell Technologies",
        "PACS, RIS and IT > Hardware",
        "https://www.dell.com",
        "Precision workstations and storage.",
        ["DELL MARKETING LP", "Dell Inc."],
    ),
    (
        "Medline Industries",
        "Med-surg supplies",
        "https://www.medline.com",
        "Gloves, drapes, kits and patient care supplies.",
        ["MEDLINE INDUSTRIES LP", "Medline Industries, Inc.", "MEDLINE"],
    ),
    (
        "Cardinal Health",
        "Med-surg supplies",
        "https://www.cardinalhealth.com",
        "Exam gloves, IV start kits and wound care.",
        ["CARDINAL HEALTH 200 LLC", "CARDINAL HEALTH 411 INC"],
    ),
    (
        "Owens & Minor",
        "Med-surg supplies",
        "https://www.owens-minor.com",
        "Distribution of medical and surgical supplies.",
        ["OWENS AND MINOR DISTRIBUTION INC", "O&M HALYARD"],
    ),
    (
        "McKesson Medical-Surgical",
        "Med-surg supplies",
        "https://mms.mckesson.com",
        "Physician office supplies and pharmaceuticals.",
        ["MCKESSON MEDICAL SURGICAL INC"],
    ),
    (
        "Henry Schein Medical",
        "Med-surg supplies",
        "https://www.henryschein.com",
        "Medical supplies for outpatient centres.",
        ["HENRY SCHEIN INC"],
    ),
    (
        "BD",
        "Med-surg supplies > Needles and syringes",
        "https://www.bd.com",
        "Syringes, needles and IV catheters.",
        ["BECTON DICKINSON AND CO", "Becton, Dickinson and Company", "BD MEDICAL"],
    ),
    (
        "Merit Medical Systems",
        "Med-surg supplies > Catheters",
        "https://www.merit.com",
        "Angiographic catheters, guide wires and manifolds.",
        ["MERIT MEDICAL SYSTEMS INC"],
    ),
    (
        "Cook Medical",
        "Med-surg supplies > Catheters",
        "https://www.cookmedical.com",
        "Interventional radiology needles, sheaths and drains.",
        ["COOK INCORPORATED", "COOK MEDICAL LLC"],
    ),
    (
        "Infab",
        "Med-surg supplies > Radiation protection",
        "https://www.infabcorp.com",
        "Lead aprons, thyroid collars and shields.",
        ["INFAB CORPORATION", "INFAB LLC"],
    ),
    (
        "Burlington Medical",
        "Med-surg supplies > Radiation protection",
        "https://www.burlingtonmedical.com",
        "Radiation protection apparel.",
        ["BURLINGTON MEDICAL LLC"],
    ),
    (
        "Aramark Uniform Services",
        "Linens",
        "https://www.aramarkuniform.com",
        "Patient gowns, scrubs and linen service.",
        ["ARAMARK UNIFORM AND CAREER APPAREL LLC"],
    ),
    (
        "Cintas",
        "Linens",
        "https://www.cintas.com",
        "Scrubs, gowns, mats and first-aid cabinets.",
        ["CINTAS CORPORATION", "CINTAS CORP NO 2"],
    ),
    (
        "Unitex Textile Rental Services",
        "Linens",
        "https://www.unitex.com",
        "Healthcare linen rental.",
        ["UNITEX DIRECT INC"],
    ),
    (
        "Staples Business Advantage",
        "Office supplies",
        "https://www.staplesadvantage.com",
        "Office supplies, paper and toner.",
        ["STAPLES CONTRACT AND COMMERCIAL LLC", "STAPLES INC"],
    ),
    (
        "ODP Business Solutions",
        "Office supplies",
        "https://www.odpbusiness.com",
        "Office Depot's business supply arm.",
        ["OFFICE DEPOT INC", "ODP BUSINESS SOLUTIONS LLC"],
    ),
    (
        "W.B. Mason",
        "Office supplies",
        "https://www.wbmason.com",
        "Office supplies, furniture and breakroom.",
        ["W B MASON CO INC", "WB MASON"],
    ),
    (
        "FedEx",
        "Courier and logistics",
        "https://www.fedex.com",
        "Overnight and ground shipping.",
        ["FEDEX CORPORATE SERVICES INC", "FEDERAL EXPRESS CORP"],
    ),
    (
        "UPS",
        "Courier and logistics",
        "https://www.ups.com",
        "Parcel and freight shipping.",
        ["UNITED PARCEL SERVICE INC", "UPS STORE"],
    ),
    (
        "MedSpeed",
        "Courier and logistics",
        "https://www.medspeed.com",
        "Same-day medical courier between sites.",
        ["MEDSPEED LLC"],
    ),
    (
        "The Doctors Company",
        "Insurance",
        "https://www.thedoctors.com",
        "Medical professional liability insurance.",
        ["THE DOCTORS COMPANY AN INTERINSURANCE EXCHANGE", "TDC Group"],
    ),
    (
        "Coverys",
        "Insurance",
        "https://www.coverys.com",
        "Medical professional liability insurance.",
        ["COVERYS RRG INC", "ProSelect Insurance Company"],
    ),
]


@dataclass(frozen=True)
class Family:
    """A product line that expands into items: every size of every variant."""

    description: str
    sizes: tuple[str, ...]
    variants: tuple[str, ...] = ("",)
    uoms: tuple[tuple[str, int], ...] = (("EA", 1),)
    price_range: tuple[int, int] = (10, 100)
    manufacturer: str = ""
    ndc_labeler: str = ""


@dataclass
class ContractSpec:
    """One demo contract and how its items are priced."""

    number: str
    vendor: str
    title: str
    start: date
    end: date
    pricing: str = "flat"  # flat | tiered | volume | percent
    families: list[Family] = field(default_factory=list)
    item_count: int = 0
    discount_pct: Decimal | None = None
    admin_fee_pct: Decimal = Decimal("2.00")
    renewal_notice_days: int = 90
    status: str = Contract.Status.ACTIVE
    terms: str = "Net 30. Freight prepaid and added for orders under $250. Prices firm for the term."
    history: bool = True
    document: bool = False


def _contrast(brand: str, agent: str, strengths: tuple[str, ...], manufacturer: str, labeler: str) -> Family:
    return Family(
        f"{brand} ({agent})",
        tuple(
            f"{s} {v}"
            for s in strengths
            for v in (
                "50 mL bottle",
                "100 mL bottle",
                "150 mL bottle",
                "200 mL bottle",
                "500 mL bottle",
                "100 mL prefilled syringe",
            )
        ),
        variants=("", "Imaging Bulk Package")
        if "Ultravist" in brand or "Omnipaque" in brand or "Isovue" in brand
        else ("",),
        uoms=(("BX", 10), ("CS", 20)),
        price_range=(80, 900),
        manufacturer=manufacturer,
        ndc_labeler=labeler,
    )


# A distributor's everyday lines: (description, sizes, variants, uoms, price range)
_GENERAL_SUPPLIES: list[tuple[str, tuple[str, ...], tuple[str, ...], tuple[tuple[str, int], ...], tuple[int, int]]] = [
    ("Alcohol prep pad", ("medium", "large"), ("70 % isopropyl", "sterile"), (("BX", 200), ("CS", 4000)), (3, 60)),
    (
        "Tourniquet",
        ("1 x 18 in", "1 x 24 in"),
        ("latex-free", "latex-free pre-cut roll"),
        (("BX", 25), ("CS", 250)),
        (5, 70),
    ),
    (
        "Adhesive bandage",
        ("3/4 x 3 in", "1 x 3 in", "spot 7/8 in", "2 x 4 in"),
        ("plastic", "fabric", "sheer"),
        (("BX", 100), ("CS", 1200)),
        (3, 80),
    ),
    (
        "Medical tape",
        ("1/2 in x 10 yd", "1 in x 10 yd", "2 in x 10 yd", "3 in x 10 yd"),
        ("paper", "silk", "transparent", "cloth"),
        (("BX", 12), ("CS", 120)),
        (4, 90),
    ),
    (
        "Specimen bag",
        ("6 x 9 in", "8 x 10 in", "12 x 15 in"),
        ("biohazard zip", "with document pouch"),
        (("BX", 100), ("CS", 1000)),
        (6, 120),
    ),
    (
        "Sharps container",
        ("1 qt", "1.5 qt", "2 gal", "5 qt", "8 gal", "18 gal"),
        ("red", "clear", "wall-mount"),
        (("EA", 1), ("CS", 20)),
        (2, 160),
    ),
    (
        "Procedure face mask",
        ("adult", "pediatric"),
        ("ear loop level 1", "ear loop level 3", "tie-on surgical", "with eye shield"),
        (("BX", 50), ("CS", 500)),
        (4, 110),
    ),
    (
        "Isolation gown",
        ("regular", "X-large", "XX-large"),
        ("level 1 poly", "level 2 SMS", "level 3 impervious", "thumb loop"),
        (("CS", 50), ("CS", 100)),
        (30, 180),
    ),
    ("Bouffant cap", ("21 in", "24 in", "28 in"), ("blue", "white"), (("BX", 100), ("CS", 1000)), (4, 60)),
    ("Shoe cover", ("universal", "X-large"), ("non-skid", "fluid-resistant"), (("BX", 150), ("CS", 300)), (10, 90)),
    (
        "Disinfectant wipe",
        ("large 6 x 6.75 in", "X-large 7.5 x 15 in", "canister 160 ct"),
        ("quaternary alcohol", "bleach", "hydrogen peroxide"),
        (("EA", 1), ("CS", 12)),
        (5, 140),
    ),
    (
        "Hand sanitizer",
        ("2 oz", "8 oz", "16.9 oz pump", "1000 mL refill", "1200 mL refill"),
        ("gel", "foam"),
        (("EA", 1), ("CS", 12)),
        (2, 120),
    ),
    (
        "Ultrasound gel",
        ("0.25 L bottle", "5 L refill", "20 g packet"),
        ("blue", "clear", "sterile"),
        (("CS", 12), ("BX", 48)),
        (8, 140),
    ),
    (
        "ECG electrode",
        ("round 1.75 in", "rectangle 1.5 x 1.75 in", "radiolucent"),
        ("foam", "cloth", "tab"),
        (("PK", 50), ("CS", 600)),
        (6, 130),
    ),
    (
        "Blood pressure cuff",
        ("child", "small adult", "adult", "large adult", "thigh"),
        ("single tube", "two tube", "disposable"),
        (("EA", 1), ("BX", 20)),
        (6, 190),
    ),
    (
        "Pulse oximeter sensor",
        ("adult", "pediatric", "neonatal"),
        ("adhesive", "reusable clip"),
        (("BX", 24), ("EA", 1)),
        (15, 360),
    ),
    (
        "Oxygen nasal cannula",
        ("adult 7 ft", "adult 14 ft", "pediatric 7 ft"),
        ("standard", "soft-tip", "curved"),
        (("EA", 1), ("CS", 50)),
        (1, 95),
    ),
    (
        "Suction canister",
        ("1200 mL", "1500 mL", "3000 mL"),
        ("with lid", "with solidifier"),
        (("CS", 48), ("CS", 100)),
        (45, 260),
    ),
    (
        "Biohazard bag",
        ("24 x 24 in", "31 x 43 in", "38 x 47 in"),
        ("1.3 mil red", "2 mil red"),
        (("CS", 250), ("RL", 25)),
        (14, 120),
    ),
    (
        "Cotton-tipped applicator",
        ("3 in", "6 in"),
        ("sterile 2-pack", "non-sterile"),
        (("BX", 100), ("CS", 1000)),
        (3, 90),
    ),
    (
        "Lidocaine HCl injection",
        ("1 % 5 mL vial", "1 % 30 mL vial", "2 % 5 mL vial", "1 % 10 mL ampule"),
        ("preservative-free",),
        (("BX", 25), ("BX", 10)),
        (18, 160),
    ),
    (
        "Sodium chloride 0.9 %",
        ("10 mL vial", "100 mL bag", "250 mL bag", "500 mL bag", "1000 mL bag"),
        ("injection", "irrigation"),
        (("CS", 24), ("BX", 25)),
        (18, 210),
    ),
    (
        "Hypodermic needle",
        ("18G 1.5 in", "21G 1 in", "23G 1 in", "25G 1 in"),
        ("standard", "safety"),
        (("BX", 100), ("CS", 1000)),
        (5, 150),
    ),
    (
        "Luer-lock syringe",
        ("3 mL", "5 mL", "10 mL", "20 mL", "60 mL"),
        ("without needle", "with 22G needle"),
        (("BX", 100), ("CS", 800)),
        (8, 210),
    ),
    (
        "Exam table paper",
        ("14.5 in x 225 ft", "18 in x 225 ft", "21 in x 225 ft"),
        ("smooth", "crepe"),
        (("RL", 1), ("CS", 12)),
        (2, 75),
    ),
    ("Patient pillowcase", ("21 x 30 in",), ("tissue/poly", "spunbond"), (("CS", 100),), (20, 45)),
    ("Emesis bag", ("1000 mL",), ("graduated", "with closure ring"), (("BX", 50), ("CS", 250)), (12, 90)),
    (
        "Underpad",
        ("17 x 24 in", "23 x 36 in", "30 x 36 in"),
        ("fluff", "polymer", "heavy absorbency"),
        (("CS", 150), ("BG", 10)),
        (4, 90),
    ),
    ("Tongue depressor", ("6 in",), ("sterile", "non-sterile"), (("BX", 100), ("CS", 5000)), (2, 60)),
    (
        "Gauze roll",
        ("2 in x 4 yd", "3 in x 4 yd", "4 in x 4 yd"),
        ("stretch sterile", "stretch non-sterile"),
        (("BX", 12), ("CS", 96)),
        (3, 60),
    ),
]


def _general(manufacturer: str, words: str = "") -> list[Family]:
    """The everyday lines under a distributor's own label."""
    return [
        Family(f"{words} {name}".strip(), sizes, variants, uoms, price_range, manufacturer)
        for name, sizes, variants, uoms, price_range in _GENERAL_SUPPLIES
    ]


D = date
CONTRACTS: list[ContractSpec] = [
    ContractSpec(
        "RPC-CM-2025-01",
        "GE Healthcare",
        "Iodinated and MR contrast media",
        D(2025, 1, 1),
        D(2027, 6, 30),
        "tiered",
        [
            _contrast("Omnipaque", "iohexol", ("240 mgI/mL", "300 mgI/mL", "350 mgI/mL"), "GE Healthcare", "0407"),
            _contrast("Visipaque", "iodixanol", ("270 mgI/mL", "320 mgI/mL"), "GE Healthcare", "0407"),
            _contrast("Clariscan", "gadoterate meglumine", ("0.5 mmol/mL",), "GE Healthcare", "0407"),
        ],
        180,
        document=True,
    ),
    ContractSpec(
        "RPC-CM-2025-02",
        "Bayer HealthCare",
        "Contrast media: Ultravist and Gadavist",
        D(2025, 1, 1),
        D(2027, 1, 31),
        "tiered",
        [
            _contrast("Ultravist", "iopromide", ("300 mgI/mL", "370 mgI/mL"), "Bayer HealthCare", "50419"),
            _contrast("Gadavist", "gadobutrol", ("1 mmol/mL",), "Bayer HealthCare", "50419"),
            _contrast("Eovist", "gadoxetate disodium", ("0.25 mmol/mL",), "Bayer HealthCare", "50419"),
        ],
        150,
        renewal_notice_days=120,
        document=True,
    ),
    ContractSpec(
        "RPC-CM-2025-03",
        "Bracco Diagnostics",
        "Contrast media: Isovue, MultiHance, ProHance",
        D(2025, 7, 1),
        D(2028, 6, 30),
        "tiered",
        [
            _contrast(
                "Isovue",
                "iopamidol",
                ("200 mgI/mL", "250 mgI/mL", "300 mgI/mL", "370 mgI/mL"),
                "Bracco Diagnostics",
                "0270",
            ),
            _contrast("MultiHance", "gadobenate dimeglumine", ("529 mg/mL",), "Bracco Diagnostics", "0270"),
            _contrast("ProHance", "gadoteridol", ("279.3 mg/mL",), "Bracco Diagnostics", "0270"),
        ],
        200,
    ),
    ContractSpec(
        "RPC-CM-2022-03",
        "Bracco Diagnostics",
        "Contrast media (previous agreement)",
        D(2022, 7, 1),
        D(2025, 6, 30),
        "flat",
        [
            _contrast("Isovue", "iopamidol", ("300 mgI/mL", "370 mgI/mL"), "Bracco Diagnostics", "0270"),
        ],
        24,
        history=False,
    ),
    ContractSpec(
        "RPC-CM-2025-04",
        "Guerbet",
        "Contrast media: Optiray and Dotarem",
        D(2025, 4, 1),
        D(2027, 3, 31),
        "tiered",
        [
            _contrast(
                "Optiray", "ioversol", ("240 mgI/mL", "300 mgI/mL", "320 mgI/mL", "350 mgI/mL"), "Guerbet", "0019"
            ),
            _contrast("Dotarem", "gadoterate meglumine", ("0.5 mmol/mL",), "Guerbet", "67684"),
        ],
        120,
        renewal_notice_days=180,
    ),
    ContractSpec(
        "RPC-CM-2026-05",
        "Lantheus Medical Imaging",
        "Definity ultrasound enhancing agent",
        D(2026, 1, 1),
        D(2027, 12, 31),
        "flat",
        [
            Family(
                "Definity (perflutren lipid microsphere)",
                ("2 mL vial", "Definity RT 2 mL vial"),
                uoms=(("PK", 4), ("PK", 16)),
                price_range=(300, 1400),
                manufacturer="Lantheus",
                ndc_labeler="11994",
            ),
        ],
        4,
    ),
    ContractSpec(
        "RPC-CM-2026-06",
        "E-Z-EM",
        "Barium contrast",
        D(2026, 1, 1),
        D(2027, 12, 31),
        "flat",
        [
            Family(
                "Barium sulfate",
                (
                    "Readi-Cat 2 450 mL",
                    "Readi-Cat 2 Smoothie 450 mL",
                    "E-Z-HD 340 g",
                    "Varibar thin liquid 250 mL",
                    "Varibar nectar 240 mL",
                    "Tagitol V 20 mL",
                    "Liquid E-Z-Paque 1900 mL",
                    "Entero VU 24% 600 mL",
                ),
                uoms=(("CS", 24), ("CS", 12)),
                price_range=(40, 260),
                manufacturer="E-Z-EM",
                ndc_labeler="32909",
            ),
        ],
        16,
    ),
    ContractSpec(
        "RPC-INJ-2025-01",
        "Bayer HealthCare",
        "MEDRAD injector syringes and tubing",
        D(2025, 1, 1),
        D(2027, 12, 31),
        "volume",
        [
            Family(
                "MEDRAD syringe kit",
                (
                    "Stellant 200 mL dual",
                    "Stellant 200 mL single",
                    "Salient 200 mL",
                    "MRXperion 65/115 mL",
                    "Centargo day set",
                    "Centargo patient line",
                    "Avanta 150 mL",
                    "Mark 7 Arterion 150 mL",
                ),
                ("", "with quick-fill tube", "with low-pressure connector"),
                (("CS", 50), ("BX", 20)),
                (150, 900),
                "Bayer MEDRAD",
            ),
            Family(
                "MEDRAD connector tubing",
                ("60 in", "72 in", "96 in"),
                ("", "T-connector", "check valve"),
                (("CS", 50),),
                (60, 260),
                "Bayer MEDRAD",
            ),
        ],
        60,
    ),
    ContractSpec(
        "RPC-INJ-2025-02",
        "Ulrich Medical USA",
        "CT Motion injector consumables",
        D(2025, 6, 1),
        D(2027, 5, 31),
        "volume",
        [
            Family(
                "CT Motion",
                ("day set", "patient tubing", "contrast spike", "saline spike"),
                ("", "with pressure sensor"),
                (("BX", 25), ("CS", 100)),
                (70, 420),
                "Ulrich Medical",
            ),
        ],
        8,
    ),
    ContractSpec(
        "RPC-SVC-2025-01",
        "Siemens Healthineers",
        "CT and MR equipment service",
        D(2025, 1, 1),
        D(2026, 12, 31),
        "flat",
        [
            Family(
                "Service agreement",
                (
                    "SOMATOM go.Top CT",
                    "SOMATOM X.cite CT",
                    "SOMATOM Force CT",
                    "MAGNETOM Altea 1.5T MR",
                    "MAGNETOM Vida 3T MR",
                    "MAGNETOM Sola 1.5T MR",
                    "syngo.via server",
                ),
                ("Platinum (uptime 98 %)", "Gold (uptime 97 %)", "Bronze (parts only)"),
                (("MO", 1),),
                (2000, 24000),
                "Siemens Healthineers",
            ),
            Family(
                "Field service labor",
                ("standard hours", "after hours", "weekend"),
                uoms=(("HR", 1),),
                price_range=(240, 520),
                manufacturer="Siemens Healthineers",
            ),
        ],
        24,
        renewal_notice_days=120,
        admin_fee_pct=Decimal("1.50"),
    ),
    ContractSpec(
        "RPC-SVC-2025-02",
        "Philips Healthcare",
        "Imaging equipment service",
        D(2025, 7, 1),
        D(2027, 6, 30),
        "flat",
        [
            Family(
                "RightFit service agreement",
                (
                    "Ingenia Ambition 1.5T MR",
                    "Ingenia Elition 3.0T MR",
                    "Incisive CT",
                    "CT 5300",
                    "EPIQ Elite ultrasound",
                    "Affiniti 70 ultrasound",
                ),
                ("Premium", "Essential"),
                (("MO", 1),),
                (900, 21000),
                "Philips",
            ),
        ],
        12,
    ),
    ContractSpec(
        "RPC-SVC-2026-03",
        "Canon Medical Systems USA",
        "CT and MR service",
        D(2026, 2, 1),
        D(2029, 1, 31),
        "flat",
        [
            Family(
                "InSight service",
                (
                    "Aquilion ONE PRISM CT",
                    "Aquilion Prime SP CT",
                    "Vantage Orian 1.5T MR",
                    "Vantage Galan 3T MR",
                    "Aplio i800 ultrasound",
                ),
                ("Comprehensive", "Shared risk"),
                (("MO", 1),),
                (1100, 19000),
                "Canon Medical",
            ),
        ],
        10,
    ),
    ContractSpec(
        "RPC-SVC-2025-04",
        "Hologic",
        "Mammography service and breast biopsy supplies",
        D(2025, 1, 1),
        D(2027, 2, 28),
        "tiered",
        [
            Family(
                "Service agreement",
                ("3Dimensions mammography", "Selenia Dimensions", "Affirm prone biopsy", "SecurView workstation"),
                ("Full service", "Parts and labor weekdays"),
                (("MO", 1),),
                (600, 5200),
                "Hologic",
            ),
            Family(
                "Breast biopsy device",
                ("Brevera 9G", "ATEC 9G 12 cm", "ATEC 12G 9 cm", "Eviva 9G", "SecurMark clip", "TriMark clip"),
                uoms=(("BX", 5), ("BX", 10)),
                price_range=(180, 2200),
                manufacturer="Hologic",
            ),
        ],
        20,
        renewal_notice_days=120,
    ),
    ContractSpec(
        "RPC-IT-2025-01",
        "Sectra",
        "Sectra PACS and archive",
        D(2025, 1, 1),
        D(2029, 12, 31),
        "flat",
        [
            Family(
                "Sectra PACS",
                (
                    "study license",
                    "diagnostic reading seat",
                    "web viewer seat",
                    "cloud archive TB-month",
                    "VNA module",
                    "breast imaging module",
                    "orthopaedic package",
                ),
                ("", "annual support"),
                (("EA", 1), ("YR", 1)),
                (2, 9000),
                "Sectra",
            ),
        ],
        14,
        renewal_notice_days=180,
    ),
    ContractSpec(
        "RPC-IT-2025-02",
        "Intelerad Medical Systems",
        "InteleRIS and InteleViewer",
        D(2025, 3, 1),
        D(2027, 2, 28),
        "flat",
        [
            Family(
                "Intelerad",
                (
                    "InteleRIS user license",
                    "InteleViewer seat",
                    "PowerServer study",
                    "Patient portal module",
                    "Critical results module",
                ),
                ("", "annual support"),
                (("EA", 1), ("YR", 1)),
                (3, 6000),
                "Intelerad",
            ),
        ],
        10,
        renewal_notice_days=180,
    ),
    ContractSpec(
        "RPC-IT-2026-03",
        "Nuance Communications",
        "PowerScribe One reporting (in negotiation)",
        D(2027, 1, 1),
        D(2029, 12, 31),
        "flat",
        [
            Family(
                "PowerScribe One",
                ("radiologist license", "Mammography module", "Lung nodule module", "Follow-up manager"),
                uoms=(("YR", 1),),
                price_range=(900, 6500),
                manufacturer="Nuance",
            ),
        ],
        4,
        status=Contract.Status.DRAFT,
    ),
    ContractSpec(
        "RPC-IT-2025-04",
        "CDW Healthcare",
        "IT hardware: percent off list",
        D(2025, 1, 1),
        D(2026, 12, 31),
        "percent",
        discount_pct=Decimal("8.00"),
    ),
    ContractSpec(
        "RPC-IT-2025-05",
        "Dell Technologies",
        "Workstations and storage: percent off list",
        D(2025, 5, 1),
        D(2028, 4, 30),
        "percent",
        discount_pct=Decimal("6.50"),
    ),
    ContractSpec(
        "RPC-MS-2025-01",
        "Medline Industries",
        "Med-surg supplies (prime vendor)",
        D(2025, 1, 1),
        D(2027, 12, 31),
        "tiered",
        [
            Family(
                "Exam glove",
                ("small", "medium", "large", "X-large"),
                ("nitrile powder-free", "nitrile extended cuff", "vinyl powder-free", "latex-free chemo-rated"),
                (("BX", 100), ("CS", 1000)),
                (6, 140),
                "Medline",
            ),
            Family(
                "Sterile drape",
                (
                    "CT gantry",
                    "C-arm",
                    "mammography paddle",
                    "ultrasound probe 6x48 in",
                    "fluoroscopy",
                    "angiography 80x120 in",
                ),
                ("", "with adhesive strip"),
                (("CS", 20), ("CS", 50)),
                (40, 420),
                "Medline",
            ),
            Family(
                "Procedure kit",
                (
                    "IV start",
                    "arthrogram",
                    "paracentesis",
                    "thyroid biopsy",
                    "lumbar puncture",
                    "port access",
                    "PICC insertion",
                ),
                ("", "with chlorhexidine"),
                (("CS", 20),),
                (70, 620),
                "Medline",
            ),
            Family(
                "Patient care",
                (
                    "emesis bag",
                    "underpad 23x36 in",
                    "pillow cover",
                    "exam table paper 21 in",
                    "ice pack",
                    "warm pack",
                    "wash cloth",
                ),
                ("",),
                (("CS", 100), ("CS", 300)),
                (12, 90),
                "Medline",
            ),
            Family(
                "Gauze sponge",
                ("2x2 in", "4x4 in"),
                ("8-ply sterile", "12-ply non-sterile"),
                (("CS", 2000), ("BX", 200)),
                (8, 95),
                "Medline",
            ),
            *_general("Medline", "Medline"),
        ],
        900,
        document=True,
    ),
    ContractSpec(
        "RPC-MS-2025-02",
        "Cardinal Health",
        "Gloves and IV supplies",
        D(2025, 7, 1),
        D(2027, 6, 30),
        "volume",
        [
            Family(
                "Esteem exam glove",
                ("XS", "S", "M", "L", "XL"),
                ("nitrile", "stretchy nitrile", "synthetic"),
                (("BX", 150), ("CS", 1500)),
                (8, 150),
                "Cardinal Health",
            ),
            Family(
                "IV catheter",
                ("18G 1.16 in", "20G 1 in", "22G 1 in", "24G 0.75 in"),
                ("safety", "safety with blood control"),
                (("BX", 50), ("CS", 200)),
                (60, 520),
                "Cardinal Health",
            ),
            Family(
                "Saline flush syringe",
                ("3 mL", "5 mL", "10 mL"),
                ("", "sterile field"),
                (("BX", 30), ("CS", 480)),
                (9, 190),
                "Cardinal Health",
            ),
            *_general("Cardinal Health", "Cardinal Health"),
        ],
        500,
    ),
    ContractSpec(
        "RPC-MS-2026-06",
        "McKesson Medical-Surgical",
        "Outpatient imaging centre supplies",
        D(2026, 1, 1),
        D(2028, 12, 31),
        "flat",
        _general("McKesson", "McKesson"),
        600,
    ),
    ContractSpec(
        "RPC-MS-2025-07",
        "Henry Schein Medical",
        "Clinical supplies with volume pricing",
        D(2025, 4, 1),
        D(2027, 3, 31),
        "volume",
        _general("Henry Schein", "Henry Schein"),
        450,
    ),
    ContractSpec(
        "RPC-MS-2022-02",
        "Owens & Minor",
        "Med-surg distribution (expired)",
        D(2022, 1, 1),
        D(2024, 12, 31),
        "flat",
        [
            Family(
                "Halyard exam glove",
                ("S", "M", "L"),
                ("purple nitrile", "sterling nitrile"),
                (("BX", 100),),
                (8, 24),
                "Halyard",
            ),
        ],
        6,
        history=False,
    ),
    ContractSpec(
        "RPC-MS-2025-03",
        "BD",
        "Syringes and needles",
        D(2025, 1, 1),
        D(2027, 12, 31),
        "volume",
        [
            Family(
                "BD syringe",
                ("1 mL", "3 mL", "5 mL", "10 mL", "20 mL", "30 mL", "60 mL"),
                ("Luer-Lok tip", "slip tip", "with SafetyGlide needle 22G", "with Eclipse needle 25G"),
                (("BX", 100), ("CS", 800)),
                (9, 260),
                "BD",
            ),
            Family(
                "BD needle",
                ("18G 1 in", "20G 1 in", "22G 1.5 in", "25G 5/8 in", "27G 1/2 in"),
                ("PrecisionGlide", "Eclipse safety", "blunt fill"),
                (("BX", 100), ("CS", 1000)),
                (6, 190),
                "BD",
            ),
            Family(
                "BD Insyte Autoguard IV catheter",
                ("18G", "20G", "22G", "24G"),
                ("", "blood control"),
                (("BX", 50),),
                (70, 310),
                "BD",
            ),
        ],
        250,
    ),
    ContractSpec(
        "RPC-MS-2025-04",
        "Merit Medical Systems",
        "Interventional radiology supplies",
        D(2025, 4, 1),
        D(2027, 3, 31),
        "volume",
        [
            Family(
                "Performa angiographic catheter",
                ("4F 65 cm", "5F 65 cm", "5F 100 cm", "6F 100 cm"),
                ("pigtail", "Cobra 2", "vertebral", "Simmons 1", "Berenstein"),
                (("BX", 5),),
                (90, 380),
                "Merit Medical",
            ),
            Family(
                "InQwire guide wire",
                ("0.035 in 150 cm", "0.035 in 180 cm", "0.035 in 260 cm", "0.018 in 150 cm"),
                ("straight", "J-tip 3 mm", "Amplatz stiff"),
                (("BX", 5),),
                (60, 260),
                "Merit Medical",
            ),
            Family(
                "Prelude sheath introducer",
                ("4F 7 cm", "5F 11 cm", "6F 11 cm", "7F 23 cm"),
                ("",),
                (("BX", 5),),
                (70, 240),
                "Merit Medical",
            ),
        ],
        90,
    ),
    ContractSpec(
        "RPC-MS-2025-05",
        "Infab",
        "Radiation protection apparel",
        D(2025, 1, 1),
        D(2027, 1, 15),
        "flat",
        [
            Family(
                "Lead apron",
                ("XS", "S", "M", "L", "XL"),
                ("vest and skirt 0.5 mm Pb", "wrap-around 0.35 mm lead-free", "Revolution 0.5 mm", "coat 0.5 mm"),
                (("EA", 1),),
                (280, 1100),
                "Infab",
            ),
            Family(
                "Thyroid collar", ("standard", "large"), ("0.5 mm Pb", "lead-free"), (("EA", 1),), (40, 140), "Infab"
            ),
        ],
        24,
        renewal_notice_days=60,
    ),
    ContractSpec(
        "RPC-LN-2025-01",
        "Aramark Uniform Services",
        "Linen and gown service",
        D(2025, 1, 1),
        D(2026, 12, 31),
        "flat",
        [
            Family(
                "Patient gown",
                ("standard", "bariatric", "pediatric"),
                ("snap shoulder", "tie back", "MR-safe no metal"),
                (("DZ", 1),),
                (9, 40),
                "Aramark",
            ),
            Family(
                "Linen",
                ("flat sheet", "pillowcase", "bath blanket", "scrub top", "scrub pant", "lab coat"),
                ("rental per piece", "rental per pound"),
                (("EA", 1), ("LB", 1)),
                (1, 6),
                "Aramark",
            ),
        ],
        28,
    ),
    ContractSpec(
        "RPC-LN-2022-01",
        "Cintas",
        "Linen service (expired)",
        D(2022, 6, 1),
        D(2025, 5, 31),
        "flat",
        [
            Family("Scrub rental", ("top", "pant"), ("per piece",), (("EA", 1),), (1, 3), "Cintas"),
        ],
        2,
        history=False,
    ),
    ContractSpec(
        "RPC-OF-2025-01",
        "Staples Business Advantage",
        "Office supplies: percent off list",
        D(2025, 1, 1),
        D(2027, 12, 31),
        "percent",
        discount_pct=Decimal("22.00"),
    ),
    ContractSpec(
        "RPC-OF-2025-02",
        "ODP Business Solutions",
        "Office supplies and print: percent off list",
        D(2025, 3, 1),
        D(2027, 2, 28),
        "percent",
        discount_pct=Decimal("18.50"),
    ),
    ContractSpec(
        "RPC-OF-2023-03",
        "W.B. Mason",
        "Office supplies (expired)",
        D(2023, 1, 1),
        D(2024, 12, 31),
        "percent",
        discount_pct=Decimal("15.00"),
    ),
    ContractSpec(
        "RPC-CR-2025-01",
        "FedEx",
        "Shipping: percent off published rates",
        D(2025, 1, 1),
        D(2027, 12, 31),
        "percent",
        discount_pct=Decimal("30.00"),
    ),
    ContractSpec(
        "RPC-CR-2025-02",
        "UPS",
        "Shipping: percent off published rates",
        D(2025, 1, 1),
        D(2026, 12, 31),
        "percent",
        discount_pct=Decimal("26.00"),
        renewal_notice_days=60,
    ),
    ContractSpec(
        "RPC-CR-2027-03",
        "MedSpeed",
        "Same-day medical courier",
        D(2027, 1, 1),
        D(2029, 12, 31),
        "flat",
        [
            Family(
                "Courier run",
                (
                    "scheduled route stop",
                    "STAT pickup under 25 mi",
                    "STAT pickup 25-50 mi",
                    "after-hours surcharge",
                    "film jacket delivery",
                ),
                uoms=(("EA", 1),),
                price_range=(18, 160),
                manufacturer="MedSpeed",
            ),
        ],
        5,
    ),
    ContractSpec(
        "RPC-INS-2025-01",
        "The Doctors Company",
        "Medical professional liability: percent off filed rates",
        D(2025, 1, 1),
        D(2027, 12, 31),
        "percent",
        discount_pct=Decimal("10.00"),
        admin_fee_pct=Decimal("0"),
    ),
    ContractSpec(
        "RPC-INS-2025-02",
        "Coverys",
        "Medical professional liability: percent off filed rates",
        D(2025, 7, 1),
        D(2026, 12, 31),
        "percent",
        discount_pct=Decimal("7.50"),
        admin_fee_pct=Decimal("0"),
        renewal_notice_days=120,
    ),
]

# Which practices join which contracts (by number prefix), with their tier; joined_on defaults to the contract start.
# Differences are deliberate: Lakeside is a large Tier 1 member, Piedmont sits in Tier 2 and has not joined Medline.
PARTICIPATION: dict[str, dict[str, str]] = {
    "lakeside-radiology": {
        "RPC-CM-2025-01": "Tier 1",
        "RPC-CM-2025-02": "Tier 1",
        "RPC-CM-2025-03": "Tier 2",
        "RPC-CM-2022-03": "",
        "RPC-INJ-2025-01": "",
        "RPC-SVC-2025-01": "",
        "RPC-SVC-2025-04": "Tier 1",
        "RPC-IT-2025-01": "",
        "RPC-IT-2025-04": "",
        "RPC-MS-2025-01": "Tier 1",
        "RPC-MS-2025-02": "",
        "RPC-MS-2025-03": "",
        "RPC-LN-2025-01": "",
        "RPC-OF-2025-01": "",
        "RPC-CR-2025-01": "",
        "RPC-INS-2025-01": "",
    },
    "piedmont-imaging": {
        "RPC-CM-2025-01": "Tier 2",
        "RPC-CM-2025-04": "Tier 2",
        "RPC-INJ-2025-02": "",
        "RPC-SVC-2025-02": "",
        "RPC-IT-2025-02": "",
        "RPC-MS-2025-02": "",
        "RPC-MS-2025-04": "",
        "RPC-OF-2025-02": "",
        "RPC-CR-2025-02": "",
        "RPC-INS-2025-02": "",
        "RPC-MS-2026-06": "",
    },
    "summit-diagnostic": {
        "RPC-CM-2025-02": "Tier 3",
        "RPC-CM-2025-03": "Tier 1",
        "RPC-SVC-2026-03": "",
        "RPC-MS-2025-01": "Tier 2",
        "RPC-MS-2025-03": "",
        "RPC-OF-2025-01": "",
    },
    "bayview-imaging": {
        "RPC-CM-2025-04": "Tier 1",
        "RPC-SVC-2025-04": "Tier 2",
        "RPC-MS-2025-01": "Tier 3",
        "RPC-MS-2025-05": "",
        "RPC-CR-2025-01": "",
    },
    "heartland-radiology": {
        "RPC-CM-2025-01": "Tier 3",
        "RPC-INJ-2025-01": "",
        "RPC-SVC-2025-01": "",
        "RPC-MS-2025-02": "",
        "RPC-LN-2025-01": "",
        "RPC-OF-2025-02": "",
        "RPC-MS-2025-07": "",
    },
    "cascade-valley": {
        "RPC-CM-2025-03": "Tier 3",
        "RPC-IT-2025-05": "",
        "RPC-MS-2025-01": "Tier 2",
        "RPC-MS-2025-04": "",
        "RPC-CR-2025-02": "",
    },
    "riverbend-imaging": {
        "RPC-CM-2025-02": "Tier 2",
        "RPC-MS-2025-04": "",
        "RPC-MS-2025-03": "",
        "RPC-INS-2025-01": "",
    },
    "northshore-radiology": {
        "RPC-SVC-2025-04": "Tier 1",
        "RPC-CM-2026-06": "",
        "RPC-CM-2026-05": "",
        "RPC-MS-2025-05": "",
        "RPC-OF-2025-01": "",
    },
}
# Letters signed after the contract started (or not yet in effect), to show "joined on" at work.
LATE_JOINS: dict[tuple[str, str], date] = {
    ("piedmont-imaging", "RPC-CM-2025-01"): D(2026, 3, 1),
    ("summit-diagnostic", "RPC-MS-2025-01"): D(2026, 9, 1),
    ("cascade-valley", "RPC-MS-2025-01"): D(2027, 1, 1),
}

_CENTS = Decimal("0.01")


def _money(value: Decimal) -> Decimal:
    return value.quantize(_CENTS, rounding=ROUND_HALF_UP)


def _sku_prefix(vendor: str) -> str:
    letters = "".join(ch for ch in vendor.upper() if ch.isalpha())
    return letters[:3]


def _items_for(spec: ContractSpec, rng: random.Random) -> list[dict[str, Any]]:
    """Expand a contract's families into item field dicts, deterministic for the contract."""
    combos = [
        (family, size, variant, uom)
        for family in spec.families
        for size in family.sizes
        for variant in family.variants
        for uom in family.uoms
    ]
    rng.shuffle(combos)
    prefix = _sku_prefix(spec.vendor)
    items = []
    seen: set[str] = set()
    for index, (family, size, variant, (uom, units)) in enumerate(combos[: spec.item_count]):
        description = " ".join(part for part in (family.description, size, variant) if part)
        if units > 1:
            description += f", {fold_uom(uom)} of {units}"
        # One price per product for its smallest pack; bigger packs cost proportionally more, a little cheaper per each.
        low, high = family.price_range
        product = random.Random(f"{spec.number}|{family.description}|{size}|{variant}")
        smallest = min(pack for _, pack in family.uoms)
        pack_price = Decimal(product.randint(low * 100, high * 100)) / 100
        list_price = _money(pack_price * units / smallest * (Decimal("0.97") if units > smallest else 1))
        if family.ndc_labeler:
            part = f"{family.ndc_labeler}-{rng.randint(100, 999)}-{rng.randint(1, 99):02d}"
        else:
            part = f"{rng.randint(10, 99)}{rng.choice('ABCDEFGHJK')}{rng.randint(1000, 9999)}"
        sku = f"{prefix}{rng.randint(100000, 999999)}-{index:03d}"
        if normalize_sku(sku) in seen:
            continue
        seen.add(normalize_sku(sku))
        items.append(
            {
                "vendor_sku": sku,
                "manufacturer": family.manufacturer or spec.vendor,
                "mfr_part_number": part,
                "description": description[:500],
                "uom": fold_uom(uom),
                "units_per_uom": units,
                "list_price": list_price,
            }
        )
    return items


def _price_rows(spec: ContractSpec, item: ContractItem, rng: random.Random) -> list[ContractPrice]:
    """Price windows: last year's (closed) and the current one (open), per tier or with volume breaks."""
    assert item.list_price is not None
    band = random.Random(f"{spec.number}|band")  # each contract has its own discount band off list
    deepest = band.randint(55, 72)
    base = _money(item.list_price * Decimal(rng.randint(deepest, band.randint(deepest + 8, 92))) / 100)
    current_from = max(spec.start, D(2026, 1, 1)) if spec.history and spec.end >= D(2026, 1, 1) else spec.start
    windows: list[tuple[date, date | None, Decimal]] = []
    if spec.history and current_from > spec.start:
        windows.append((spec.start, current_from - timedelta(days=1), OLD_PRICE_FACTOR))
    windows.append((current_from, None if spec.end >= current_from else spec.end, Decimal(1)))
    rows = []
    for effective_from, effective_to, factor in windows:
        price = _money(base * factor)
        if spec.pricing == "tiered":
            for tier in TIERS:
                rows.append(
                    ContractPrice(
                        item=item,
                        price=_money(price * TIER_FACTORS[tier] / TIER_FACTORS["Tier 3"]),
                        effective_from=effective_from,
                        effective_to=effective_to,
                        tier=tier,
                    )
                )
        elif spec.pricing == "volume":
            rows.append(ContractPrice(item=item, price=price, effective_from=effective_from, effective_to=effective_to))
            for min_qty, discount in ((Decimal(10), Decimal("0.97")), (Decimal(50), Decimal("0.93"))):
                rows.append(
                    ContractPrice(
                        item=item,
                        price=_money(price * discount),
                        effective_from=effective_from,
                        effective_to=effective_to,
                        min_qty=min_qty,
                    )
                )
        else:
            rows.append(ContractPrice(item=item, price=price, effective_from=effective_from, effective_to=effective_to))
    return rows


def _vendor(name: str, categories: dict[str, Category]) -> Vendor:
    _, path, website, description, aliases = next(v for v in VENDORS if v[0] == name)
    vendor = vendor_find(name=name)
    if vendor is None:
        if path not in categories:
            categories[path] = category_get_or_create(path=path)
        vendor = vendor_create(
            name=name,
            category=categories[path],
            website=website,
            description=description,
            contact_name="Contracts desk",
            contact_email=f"gpo-contracts@{website.split('//')[1].removeprefix('www.').split('/')[0]}",
        )
    for alias in aliases:
        vendor_alias_add(vendor=vendor, name=alias)
    return vendor


def _item_category(spec: ContractSpec, vendor: Vendor, family: str, categories: dict[str, Category]) -> Category | None:
    """Contrast items go under their agent's branch (gadolinium agents under Gadolinium); others follow the vendor."""
    gadolinium = ("Clariscan", "Gadavist", "Eovist", "MultiHance", "ProHance", "Dotarem")
    if spec.number.startswith("RPC-CM") and family.startswith(gadolinium):
        path = "Contrast media > Gadolinium"
    elif spec.number.startswith("RPC-CM") and "Barium" not in family and "Definity" not in family:
        path = "Contrast media > Iodinated"
    else:
        return vendor.category
    if path not in categories:
        categories[path] = category_get_or_create(path=path)
    return categories[path]


def _seed_contract(spec: ContractSpec, categories: dict[str, Category]) -> bool:
    """Create one contract with its items and prices; False when it already exists."""
    if Contract.objects.filter(number=spec.number).exists():
        return False
    vendor = _vendor(spec.vendor, categories)
    contract = contract_create(
        source=SOURCE,
        notify=False,
        vendor=vendor,
        number=spec.number,
        title=spec.title,
        start_date=spec.start,
        end_date=spec.end,
        status=spec.status,
        admin_fee_pct=spec.admin_fee_pct,
        discount_pct=spec.discount_pct,
        renewal_notice_days=spec.renewal_notice_days,
        terms=spec.terms,
        contact_name="Coalition contracts office",
        contact_email="contracts@coalition.example.org",
    )
    if spec.document:
        ContractDocument.objects.create(
            contract=contract,
            title=f"Letter of participation template ({spec.number})",
            file=ContentFile(
                f"Letter of participation for contract {spec.number}: {spec.title}.\n".encode(),
                name=f"{spec.number.lower()}-participation-letter.txt",
            ),
        )
    rng = random.Random(spec.number)
    fields = _items_for(spec, rng)
    items = ContractItem.objects.bulk_create(
        [
            ContractItem(
                contract=contract,
                vendor_sku_normalized=normalize_sku(values["vendor_sku"]),
                mfr_part_normalized=normalize_sku(values["mfr_part_number"]),
                category=_item_category(spec, vendor, values["description"], categories),
                **values,
            )
            for values in fields
        ]
    )
    prices = [row for item in items for row in _price_rows(spec, item, rng)]
    ContractPrice.objects.bulk_create(prices, batch_size=2000)
    if items:
        CatalogChange.objects.create(
            source=SOURCE,
            action=CatalogChange.Action.CREATED,
            object_type="ContractItem",
            object_id=contract.pk,
            contract_number=contract.number,
            detail={"bulk": True, "items": len(items), "prices": len(prices)},
        )
    return True


def _seed_participations() -> int:
    created = 0
    practices = {practice.slug: practice for practice in Practice.objects.filter(slug__in=PARTICIPATION)}
    contracts = {contract.number: contract for contract in Contract.objects.filter(number__startswith="RPC-")}
    existing = set(Participation.objects.values_list("practice__slug", "contract__number"))
    for slug, joined in PARTICIPATION.items():
        practice = practices.get(slug)
        if practice is None:
            continue
        for number, tier in joined.items():
            contract = contracts.get(number)
            if contract is None or (slug, number) in existing:
                continue
            joined_on = LATE_JOINS.get((slug, number), contract.start_date - timedelta(days=14))
            participation_create(
                practice=practice, contract=contract, joined_on=joined_on, tier=tier, source=SOURCE, notify=False
            )
            created += 1
    return created


def catalog_counts() -> dict[str, int]:
    """How big the catalog is now."""
    return {
        "vendors": Vendor.objects.count(),
        "aliases": VendorAlias.objects.count(),
        "categories": Category.objects.count(),
        "contracts": Contract.objects.count(),
        "items": ContractItem.objects.count(),
        "prices": ContractPrice.objects.count(),
        "participations": Participation.objects.count(),
    }


VA_FSS_FILE = "vaFssPharmPrices.xlsx"
VA_SOURCE = "seed_demo_va_fss"
VA_IMAGING_CLASS = "DX"  # VA drug class DX*: diagnostic agents, including contrast media


def _va_imaging_workbook(path: Path) -> tuple[bytes, int]:
    """The VA FSS rows whose VA class starts with "DX", as a one-sheet xlsx with every cell kept as text."""
    from openpyxl import Workbook

    from contracts.spreadsheet import cell_text, sheet_rows, workbook_open

    book = workbook_open(path)
    rows = iter(sheet_rows(book, book.sheet_names[0]))
    _, header = next(rows)
    names = [cell_text(cell) for cell in header]
    va_class = names.index("VAClass")
    out = Workbook(write_only=True)
    sheet = out.create_sheet("DX")
    sheet.append(names)
    count = 0
    for _, cells in rows:
        if cell_text(cells[va_class] if va_class < len(cells) else "").startswith(VA_IMAGING_CLASS):
            sheet.append([cell_text(cell) for cell in cells])
            count += 1
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue(), count


def seed_va_imaging(folder: Path) -> int:
    """Load the VA Federal Supply Schedule's diagnostic-agent rows through `price_list_import`, once.

    Returns the rows loaded (0 when the file is absent or was loaded before). Optional demo data: the real folder
    is never required.
    """
    from contracts.price_list import price_list_import

    path = folder / VA_FSS_FILE
    if not path.is_file() or CatalogChange.objects.filter(source=VA_SOURCE).exists():
        return 0
    content, count = _va_imaging_workbook(path)
    if not count:
        return 0
    summary = price_list_import(file=io.BytesIO(content), multi=True)
    CatalogChange.objects.create(
        source=VA_SOURCE,
        action=CatalogChange.Action.CREATED,
        object_type="PriceList",
        object_id=0,
        detail={"file": VA_FSS_FILE, "rows": count, "prices_created": summary.prices_created},
    )
    return count


@transaction.atomic
def seed_catalog(*, real_data: Path | None = None) -> dict[str, int]:
    """Create the demo catalog (idempotent) and return its counts, plus how many contracts this run created.

    With `real_data` (the folder of real public price lists), the VA FSS diagnostic-agent rows are added too.
    """
    categories: dict[str, Category] = {}
    for name, *_ in VENDORS:
        _vendor(name, categories)
    created = sum(_seed_contract(spec, categories) for spec in CONTRACTS)
    joined = _seed_participations()
    va_rows = seed_va_imaging(real_data) if real_data is not None else 0
    return {**catalog_counts(), "contracts_created": created, "participations_created": joined, "va_rows": va_rows}
