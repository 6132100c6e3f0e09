"""The "Coalition admins" group: the Django admin permissions of the catalog for the coalition_admin role.

DESIGN §3 gives coalition admins the catalog writes (admin, API, imports), vendor review and member management.
A coalition admin is staff but not a superuser, so the admin shows it only what a group grants: this group holds
every permission on the catalog's models (vendors, contracts, prices, participations), the vendor review's
non-GPO names, practices and memberships, and dues plans, and read access to the audit rows. Every user with a
coalition_admin membership joins it (here for existing ones, in `member_add` for new ones).
"""

from django.db import migrations

from gpo.members.admin_group import GROUP, group_sync


def group_create(apps, schema_editor):
    group_sync(apps)


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
