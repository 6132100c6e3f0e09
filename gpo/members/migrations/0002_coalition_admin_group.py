"""The "Coalition admins" group: the Django admin permissions of the catalog for the coalition_admin role.

DESIGN §3 gives coalition admins the catalog writes (admin, API, imports), vendor review and member management.
A coalition admin is staff but not a superuser, so the admin shows it only what a group grants: this group holds
every permission on the catalog's models (vendors, contracts, prices, participations), the vendor review's
non-GPO names, practices and memberships, and dues plans, and read access to the audit rows. Every user with a
coalition_admin membership joins it (here for existing ones, in `member_add` for new ones).
"""

from django.db import migrations

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


def _create_permissions(apps):
    """Permissions are normally created after migrate; the group needs them now (a fresh database has none)."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def group_create(apps, schema_editor):
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


def group_delete(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("vendors", "0001_initial"),
        ("contracts", "0001_initial"),
        ("reports", "0004_upload_audit"),
        ("billing", "0001_dues_plans_accounts_invoices_events"),
    ]

    operations = [migrations.RunPython(group_create, group_delete)]
