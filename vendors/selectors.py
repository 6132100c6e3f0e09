"""Reads for vendors and the category tree (STYLE.md rule 2). The catalog is shared by every member."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from vendors.models import Category, Vendor, VendorAlias
from vendors.normalize import normalize_vendor_name


def category_descendant_ids(*, category: Category) -> set[int]:
    """The category's id and every id below it (one query over the whole, small, tree)."""
    children: dict[int | None, list[int]] = {}
    for node_id, parent_id in Category.objects.values_list("id", "parent_id"):
        children.setdefault(parent_id, []).append(node_id)
    found, todo = set(), [category.id]
    while todo:
        node = todo.pop()
        if node not in found:
            found.add(node)
            todo.extend(children.get(node, []))
    return found


def vendors_matching(queryset: QuerySet[Vendor], search: str | None) -> QuerySet[Vendor]:
    """Vendors whose name, an alias or the description contains `search` (names also compared normalised)."""
    text = (search or "").strip()
    if not text:
        return queryset
    normalized = normalize_vendor_name(text)
    names = Q(name__icontains=text)
    if normalized:
        names |= Q(normalized_name__contains=normalized)
    alias_vendor_ids = VendorAlias.objects.filter(names).values("vendor_id")
    return queryset.filter(names | Q(description__icontains=text) | Q(id__in=alias_vendor_ids))


def vendors_in_category(queryset: QuerySet[Vendor], category: str | None) -> QuerySet[Vendor]:
    """Vendors in the category with slug `category` or any category below it; an unknown slug matches nothing."""
    if not category:
        return queryset
    node = Category.objects.filter(slug=category).first()
    if node is None:
        return queryset.none()
    return queryset.filter(category_id__in=category_descendant_ids(category=node))


def vendor_list(*, user: Any, search: str | None = None, category: str | None = None) -> QuerySet[Vendor]:
    """Vendors the user may browse, with aliases and a count of non-draft contracts, optionally filtered."""
    if not getattr(user, "is_authenticated", False):
        return Vendor.objects.none()
    queryset = Vendor.objects.select_related("category", "category__parent").prefetch_related("aliases")
    queryset = vendors_in_category(vendors_matching(queryset, search), category)
    queryset = queryset.annotate(contract_count=Count("contracts", filter=~Q(contracts__status="draft"), distinct=True))
    return queryset.order_by("name")


def vendor_get(*, user: Any, slug: str) -> Vendor | None:
    """One vendor by slug, or None."""
    return vendor_list(user=user).filter(slug=slug).first()


@dataclass
class CategoryNode:
    """A category with its children, for menus and filters."""

    category: Category
    children: list[CategoryNode] = field(default_factory=list)


def category_tree() -> list[CategoryNode]:
    """Every category as a tree of nodes, roots first, siblings by name (one query)."""
    nodes = {category.id: CategoryNode(category) for category in Category.objects.order_by("name")}
    roots: list[CategoryNode] = []
    for node in nodes.values():
        parent_id = node.category.parent_id
        if parent_id is not None and parent_id in nodes:
            nodes[parent_id].children.append(node)
        else:
            roots.append(node)
    return roots


def category_path(category: Category | None) -> str:
    """A category's "Parent > Child" path (walks the cached parents)."""
    names = []
    while category is not None:
        names.append(category.name)
        category = category.parent
    return " > ".join(reversed(names))
