"""Demo practices and one login per role, for `seed_demo` (DESIGN.md section 7)."""

from __future__ import annotations

from django.db import transaction

from gpo.members.models import Practice, PracticeLocation, Role
from gpo.members.services import member_add, practice_create

DEMO_PASSWORD = "demo-pass-2026"

DEMO_PRACTICES: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("Lakeside Radiology Associates", "lakeside-radiology", [("Lakeside Imaging Center", "Madison, WI")]),
    (
        "Piedmont Imaging Partners",
        "piedmont-imaging",
        [("Piedmont MRI", "Greensboro, NC"), ("Piedmont PET/CT", "Durham, NC")],
    ),
    ("Summit Diagnostic Radiology", "summit-diagnostic", [("Summit Outpatient Imaging", "Denver, CO")]),
    ("Bayview Medical Imaging", "bayview-imaging", [("Bayview Women's Imaging", "Tampa, FL")]),
    ("Heartland Radiology Group", "heartland-radiology", [("Heartland Main", "Omaha, NE")]),
    ("Cascade Valley Radiology", "cascade-valley", [("Cascade Valley Imaging", "Tacoma, WA")]),
    ("Riverbend Imaging Specialists", "riverbend-imaging", [("Riverbend Interventional", "Chattanooga, TN")]),
    ("Northshore Radiology Physicians", "northshore-radiology", [("Northshore Breast Center", "Evanston, IL")]),
]

# username, role, practice slug (None for coalition roles)
DEMO_USERS: list[tuple[str, str, str | None]] = [
    ("viewer", Role.VIEWER, "lakeside-radiology"),
    ("finance", Role.FINANCE, "lakeside-radiology"),
    ("executive", Role.EXECUTIVE, "lakeside-radiology"),
    ("piedmont-finance", Role.FINANCE, "piedmont-imaging"),
    ("admin", Role.COALITION_ADMIN, None),
    ("coalition-exec", Role.COALITION_EXECUTIVE, None),
]


@transaction.atomic
def seed_members() -> list[tuple[str, str, str]]:
    """Create the demo practices and users; returns (username, role, practice) for printing."""
    practices: dict[str, Practice] = {}
    for name, slug, locations in DEMO_PRACTICES:
        practice = practice_create(name=name, slug=slug)
        practices[slug] = practice
        for location_name, place in locations:
            city, state = place.split(", ")
            PracticeLocation.objects.get_or_create(
                practice=practice, name=location_name, defaults={"city": city, "state": state}
            )
    logins = []
    for username, role, member_slug in DEMO_USERS:
        member_add(
            username=username,
            role=role,
            practice=practices[member_slug] if member_slug else None,
            email=f"{username}@example.org",
            password=DEMO_PASSWORD,
        )
        logins.append((username, str(role), member_slug or "all practices"))
    return logins
