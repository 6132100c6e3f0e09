"""The coalition_admin role works the Django admin through the group that migration members 0002 creates."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from gpo.members.demo import DEMO_PASSWORD, seed_members
from gpo.members.models import COALITION_ADMIN_GROUP, Role
from gpo.members.services import member_add

pytestmark = pytest.mark.django_db

CATALOG_MODELS = [
    "/admin/vendors/vendor/",
    "/admin/vendors/category/",
    "/admin/contracts/contract/",
    "/admin/contracts/contractitem/",
    "/admin/contracts/contractprice/",
    "/admin/contracts/participation/",
]


def test_migration_gives_the_group_the_catalog_permissions():
    group = Group.objects.get(name=COALITION_ADMIN_GROUP)
    codenames = set(group.permissions.values_list("codename", flat=True))

    assert {"add_vendor", "change_contractprice", "delete_participation", "view_category"} <= codenames
    assert "view_purchaseupload" in codenames
    assert "change_purchaseupload" not in codenames
    assert "add_user" not in codenames


def test_demo_admin_sees_the_catalog_models_in_the_admin_index():
    seed_members()
    client = Client()
    signed_in = client.post("/accounts/login/", {"username": "admin", "password": DEMO_PASSWORD})
    assert signed_in.status_code == 302

    index = client.get("/admin/")

    html = index.content.decode()
    assert index.status_code == 200
    assert "You don’t have permission to view or edit anything" not in html
    for address in CATALOG_MODELS:
        assert f'href="{address}"' in html
    assert client.get("/admin/contracts/contract/add/").status_code == 200


def test_coalition_executive_gets_no_admin_permissions():
    executive = member_add(username="exec", role=Role.COALITION_EXECUTIVE).user

    assert not executive.groups.exists()
    assert not executive.is_staff


@pytest.mark.django_db(transaction=True)
def test_a_flushed_database_gets_the_group_back_with_its_permissions():
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)

    group = Group.objects.get(name=COALITION_ADMIN_GROUP)
    assert {"add_vendor", "change_contractprice", "view_purchaseupload"} <= set(
        group.permissions.values_list("codename", flat=True)
    )
