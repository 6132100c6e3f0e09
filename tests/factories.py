"""Model factories shared by the whole suite (STYLE.md rule 11)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from contracts.models import Contract, ContractItem, ContractPrice, Participation
from gpo.members.models import Membership, Practice, Role
from gpo.money import cents
from reports.models import PurchaseLine, PurchaseUpload
from vendors.models import Category, Vendor, VendorAlias
from vendors.normalize import normalize_sku, normalize_vendor_name


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password("correct-horse-battery")


class PracticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practice
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Practice {n} Radiology")
    slug = factory.Sequence(lambda n: f"practice-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    practice = factory.SubFactory(PracticeFactory)
    role = Role.FINANCE


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Vendor {n} Medical")
    slug = factory.Sequence(lambda n: f"vendor-{n}")
    normalized_name = factory.LazyAttribute(lambda o: normalize_vendor_name(o.name))


class VendorAliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VendorAlias

    vendor = factory.SubFactory(VendorFactory)
    name = factory.Sequence(lambda n: f"Alias {n}")
    normalized_name = factory.LazyAttribute(lambda o: normalize_vendor_name(o.name))


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract

    vendor = factory.SubFactory(VendorFactory)
    number = factory.Sequence(lambda n: f"GPO-{n:04d}")
    title = factory.LazyAttribute(lambda o: f"{o.vendor.name} agreement")
    start_date = date(2026, 1, 1)
    end_date = date(2026, 12, 31)
    status = Contract.Status.ACTIVE


class ParticipationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participation

    practice = factory.SubFactory(PracticeFactory)
    contract = factory.SubFactory(ContractFactory)
    joined_on = date(2025, 12, 1)
    tier = ""


class ContractItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContractItem

    contract = factory.SubFactory(ContractFactory)
    vendor_sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    vendor_sku_normalized = factory.LazyAttribute(lambda o: normalize_sku(o.vendor_sku))
    mfr_part_number = ""
    mfr_part_normalized = factory.LazyAttribute(lambda o: normalize_sku(o.mfr_part_number))
    description = factory.Sequence(lambda n: f"Item {n}")
    uom = "EA"
    units_per_uom = 1
    list_price = Decimal("100.0000")


class ContractPriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContractPrice

    item = factory.SubFactory(ContractItemFactory)
    price = Decimal("80.0000")
    effective_from = date(2026, 1, 1)
    effective_to = None
    tier = ""
    min_qty = None


class PurchaseUploadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PurchaseUpload

    practice = factory.SubFactory(PracticeFactory)
    original_filename = factory.Sequence(lambda n: f"purchases-{n}.csv")
    original_file = factory.LazyAttribute(lambda o: f"uploads/test/{o.original_filename}")
    sha256 = factory.Sequence(lambda n: f"{n:064x}")
    status = PurchaseUpload.Status.DONE
    progress = 100


class PurchaseLineFactory(factory.django.DjangoModelFactory):
    """A stored purchase line; pass the reconciliation fields a test needs."""

    class Meta:
        model = PurchaseLine

    upload = factory.SubFactory(PurchaseUploadFactory)
    practice = factory.LazyAttribute(lambda o: o.upload.practice)
    row_number = factory.Sequence(lambda n: n + 2)
    purchase_date = date(2026, 3, 15)
    vendor_name = "Vendor Medical"
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    sku_normalized = factory.LazyAttribute(lambda o: normalize_sku(o.sku))
    quantity = Decimal("1")
    uom = "EA"
    unit_price = Decimal("10.0000")
    spend = factory.LazyAttribute(lambda o: cents(o.quantity * o.unit_price))
    status = PurchaseLine.Status.PENDING
