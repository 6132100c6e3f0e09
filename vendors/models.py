"""Vendors, their other spellings and the category tree (DESIGN.md section 3)."""

from __future__ import annotations

from django.db import models

from gpo.db import TimeStampedModel


class Category(TimeStampedModel):
    """A node of the purchasing category tree (e.g. Contrast media > Iodinated), optionally with a UNSPSC code."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=120, unique=True)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    unspsc_code = models.CharField(max_length=8, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="category_unique_name_per_parent"),
        ]

    def __str__(self) -> str:
        return self.name


class Vendor(TimeStampedModel):
    """A supplier the coalition buys from or negotiates with."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    normalized_name = models.CharField(max_length=200, db_index=True, editable=False)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, null=True, blank=True, related_name="vendors")
    description = models.TextField(blank=True)
    website = models.URLField(blank=True)
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class VendorAlias(TimeStampedModel):
    """Another spelling of a vendor's name seen in accounts-payable exports ("GE HEALTHCARE INC.")."""

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=200)
    normalized_name = models.CharField(max_length=200, unique=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "vendor aliases"

    def __str__(self) -> str:
        return self.name


class CatalogVersion(models.Model):
    """The catalog's version: one row whose random token every catalog write replaces in its own transaction.

    Catalog fragments shared by every viewer (the vendor cards' highlights) are cached under it (gpo.cache): a
    write to vendors, categories, contracts, items, prices or participations makes them unreachable at once.
    """

    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return self.token
