"""Writes for vendors, their aliases and the category tree (STYLE.md rule 1)."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils.text import slugify

from vendors.models import CatalogVersion, Category, Vendor, VendorAlias
from vendors.normalize import normalize_vendor_name

CATEGORY_PATH_SEPARATOR = ">"
VENDOR_FIELDS = ("name", "category", "description", "website", "contact_name", "contact_email", "contact_phone")


def catalog_version_bump() -> None:
    """Give the catalog a new version (vendors.models.CatalogVersion); call inside the writing transaction."""
    CatalogVersion.objects.update_or_create(pk=1, defaults={"token": uuid.uuid4().hex})


def catalog_version_bump_on_write(sender: Any, **kwargs: Any) -> None:
    """Every save or delete of a vendor, alias or category (and of a contract's documents and eligible practices),
    whatever path it takes, gives the catalog a new version: cached figures carry their names
    (reports.figures_cache) and cached catalog pages show them, so a change shows at once (connected in apps.py)."""
    catalog_version_bump()


def _unique_slug(model: type[Model], text: str, *, exclude_id: int | None = None, max_length: int = 120) -> str:
    base = (slugify(text) or "item")[: max_length - 6]
    slug, counter = base, 2
    queryset = model._default_manager.all()
    if exclude_id is not None:
        queryset = queryset.exclude(pk=exclude_id)
    while queryset.filter(slug=slug).exists():
        slug = f"{base}-{counter}"
        counter += 1
    return slug


def vendor_find(*, name: str) -> Vendor | None:
    """The vendor whose name or an alias normalises like `name` (DESIGN §4.1), else None."""
    normalized = normalize_vendor_name(name)
    if not normalized:
        return None
    vendor = Vendor.objects.filter(normalized_name=normalized).order_by("id").first()
    if vendor is not None:
        return vendor
    alias = VendorAlias.objects.filter(normalized_name=normalized).select_related("vendor").first()
    return alias.vendor if alias is not None else None


@transaction.atomic
def vendor_create(
    *,
    name: str,
    category: Category | None = None,
    description: str = "",
    website: str = "",
    contact_name: str = "",
    contact_email: str = "",
    contact_phone: str = "",
    slug: str | None = None,
) -> Vendor:
    """Create a vendor with a unique slug and its normalised name."""
    name = name.strip()
    vendor = Vendor(
        name=name,
        slug=slug or _unique_slug(Vendor, name),
        normalized_name=normalize_vendor_name(name),
        category=category,
        description=description,
        website=website,
        contact_name=contact_name,
        contact_email=contact_email,
        contact_phone=contact_phone,
    )
    if not vendor.normalized_name:
        raise ValidationError({"name": "A vendor needs a name with at least one letter or digit."})
    vendor.full_clean()
    vendor.save()
    return vendor


@transaction.atomic
def vendor_update(*, vendor: Vendor, **fields: Any) -> Vendor:
    """Change a vendor's fields (name, category, description, website, contacts); unchanged input writes nothing."""
    unknown = set(fields) - set(VENDOR_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown vendor fields: {', '.join(sorted(unknown))}.")
    changed = [field for field, value in fields.items() if getattr(vendor, field) != value]
    if not changed:
        return vendor
    for field in changed:
        setattr(vendor, field, fields[field])
    if "name" in changed:
        vendor.name = vendor.name.strip()
        vendor.normalized_name = normalize_vendor_name(vendor.name)
    vendor.full_clean()
    vendor.save()
    return vendor


@transaction.atomic
def vendor_alias_add(*, vendor: Vendor, name: str) -> VendorAlias:
    """Record another spelling of a vendor's name; refused when it already names another vendor."""
    normalized = normalize_vendor_name(name)
    if not normalized:
        raise ValidationError({"name": "An alias needs at least one letter or digit."})
    existing = VendorAlias.objects.filter(normalized_name=normalized).select_related("vendor").first()
    if existing is not None:
        if existing.vendor_id == vendor.id:
            return existing
        raise ValidationError({"name": f"Alias {name!r} already belongs to vendor {existing.vendor.name!r}."})
    other = Vendor.objects.filter(normalized_name=normalized).exclude(pk=vendor.pk).first()
    if other is not None:
        raise ValidationError({"name": f"Alias {name!r} is the name of vendor {other.name!r}."})
    alias = VendorAlias(vendor=vendor, name=name.strip(), normalized_name=normalized)
    alias.full_clean()
    alias.save()
    return alias


def category_path_split(path: str) -> list[str]:
    """The names of a "Parent > Child" path, stripped, blanks dropped."""
    return [part.strip() for part in str(path).split(CATEGORY_PATH_SEPARATOR) if part.strip()]


def category_find(*, path: str) -> Category | None:
    """The category at a "Parent > Child" path, else None (no writes)."""
    parent: Category | None = None
    for name in category_path_split(path):
        parent = Category.objects.filter(parent=parent, name__iexact=name).first()
        if parent is None:
            return None
    return parent


@transaction.atomic
def category_get_or_create(*, path: str, unspsc_code: str | None = None) -> Category:
    """The category at a "Parent > Child" path, creating the missing levels; the UNSPSC code goes on the leaf."""
    names = category_path_split(path)
    if not names:
        raise ValidationError({"path": "A category path needs at least one name."})
    parent: Category | None = None
    for name in names:
        node = Category.objects.filter(parent=parent, name__iexact=name).first()
        if node is None:
            slug_text = f"{parent.slug}-{name}" if parent is not None else name
            node = Category(name=name, parent=parent, slug=_unique_slug(Category, slug_text))
            node.full_clean()
            node.save()
        parent = node
    assert parent is not None
    if unspsc_code is not None and parent.unspsc_code != unspsc_code:
        parent.unspsc_code = unspsc_code
        parent.full_clean()
        parent.save()
    return parent
