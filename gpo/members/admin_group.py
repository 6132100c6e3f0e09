"""The "Coalition admins" group: the Django admin permissions of the catalog for the coalition_admin role.

DESIGN §3 gives coalition admins the catalog writes (admin, API, imports), vendor review and member management.
A coalition admin is staff but not a superuser, so the admin shows it only what a group grants: this group holds
every permission on the catalog's models (vendors, contracts, prices, participations), the vendor review's
non-GPO names, practices and memberships, and dues plans, and read access to the audit rows. Every user with a
coalition_admin membership joins it (here for existing ones, in `member_add` for new ones).

Migration members 0002 creates it; every later `migrate` and `flush` (both send post_migrate) puts it back the same
way, so a flushed database (a transactional test, a demo reset) never leaves coalition admins without the admin.
"""

from __future__ import annotations

from typing import Any

GROUP = "Coalition admins"
FULL = {
    "vendors": ["category", "vendor", "vendoralias"],
    "contracts": ["contract", "contractdocument", "contractitem", "contractprice", "participation"],
    "members": ["practice", "practicelocation", "membership"],
    "reports": ["nongpovendorname"],
    "billing": ["duesplan"],
}
VIEW_ONLY = {
    "contracts": ["catalogchange"],
    "reports": ["purchaseupload", "uploadauditentry"],
    "billing": ["billingaccount", "invoice"],
}


def _create_permissions(apps: Any) -> None:
    """Permissions are normally created after migrate; the group needs them now (a fresh database has none)."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True  # historical app configs have none; live ones keep theirs
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module


def group_sync(apps: Any) -> None:
    """Create or refresh the group and its members with `apps` (a migration's historical apps or the live ones)."""
    _create_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    Membership = apps.get_model("members", "Membership")
    group, _ = Group.objects.get_or_create(name=GROUP)
    wanted = []
    for app_label, models in FULL.items():
        wanted += list(Permission.objects.filter(content_type__app_label=app_label, content_type__model__in=models))
    for app_label, models in VIEW_ONLY.items():
        wanted += list(
            Permission.objects.filter(
                content_type__app_label=app_label, content_type__model__in=models, codename__startswith="view_"
            )
        )
    group.permissions.set(wanted)
    for membership in Membership.objects.filter(role="coalition_admin").select_related("user"):
        membership.user.groups.add(group)
