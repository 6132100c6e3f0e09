"""Reads for vendors and the category tree (STYLE.md rule 2). The catalog is shared by every member."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404

from vendors.models import CatalogVersion, Category, Vendor, VendorAlias
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


# --- pages ---


@dataclass(frozen=True)
class CategoryOption:
    """A category with its depth in the tree, for an indented filter list."""

    category: Category
    depth: int

    @property
    def label(self) -> str:
        return "\u2003" * self.depth + self.category.name


def category_options() -> list[CategoryOption]:
    """Every category in tree order (parents before their children, siblings by name)."""
    categories = list(Category.objects.order_by("name"))
    children: dict[int | None, list[Category]] = {}
    for category in categories:
        children.setdefault(category.parent_id, []).append(category)
    ordered: list[CategoryOption] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for child in children.get(parent_id, []):
            ordered.append(CategoryOption(child, depth))
            walk(child.id, depth + 1)

    walk(None, 0)
    return ordered


def category_subtree_ids(*, slug: str, tree: list[CategoryOption] | None = None) -> list[int] | None:
    """Ids of the category with this slug and all its descendants; None when there is no such category."""
    options = tree if tree is not None else category_options()
    by_parent: dict[int | None, list[int]] = {}
    root_id = None
    for option in options:
        by_parent.setdefault(option.category.parent_id, []).append(option.category.id)
        if option.category.slug == slug:
            root_id = option.category.id
    if root_id is None:
        return None
    ids, stack = [], [root_id]
    while stack:
        current = stack.pop()
        ids.append(current)
        stack.extend(by_parent.get(current, []))
    return ids


def vendor_search_q(query: str) -> Q:
    """Vendors whose name or an alias (as AP exports spell it) contains the query, or whose contract title does."""
    normalized = normalize_vendor_name(query)
    condition = Q(name__icontains=query) | Q(contracts__title__icontains=query)
    if normalized:
        condition |= Q(normalized_name__contains=normalized) | Q(aliases__normalized_name__contains=normalized)
    return condition


def vendor_page_get(*, slug: str) -> Vendor:
    """A vendor by slug, with its category; 404 when unknown."""
    vendor = Vendor.objects.select_related("category").filter(slug=slug).first()
    if vendor is None:
        raise Http404("No such vendor.")
    return vendor


def vendor_contract_list(*, vendor: Vendor, user: Any, practice_id: int | None, show_drafts: bool) -> QuerySet[Any]:
    """The vendor's contracts, newest first, each with the viewer's practice's joined_on/tier and its documents."""
    contracts = vendor.contracts.all()
    if not show_drafts:
        contracts = contracts.exclude(status="draft")
    joined = Q(participations__practice_id=practice_id)
    return (
        contracts.annotate(
            joined_on=Max("participations__joined_on", filter=joined),
            joined_tier=Max("participations__tier", filter=joined),
            member_count=Count("participations", distinct=True),
        )
        .prefetch_related("documents")
        .order_by("-end_date", "number")
    )


@dataclass(frozen=True)
class ContractGroups:
    """A vendor's contracts split by where today falls in their dates."""

    in_force: list[Any]
    upcoming: list[Any]
    expired: list[Any]
    drafts: list[Any]


def contracts_by_period(contracts: Any, *, today: date) -> ContractGroups:
    """Split contracts into in force (start <= today <= end), upcoming, expired and drafts (DESIGN §4)."""
    in_force, upcoming, expired, drafts = [], [], [], []
    for contract in contracts:
        if contract.status == "draft":
            drafts.append(contract)
        elif contract.end_date < today:
            expired.append(contract)
        elif contract.start_date > today:
            upcoming.append(contract)
        else:
            in_force.append(contract)
    return ContractGroups(in_force, upcoming, expired, drafts)


def catalog_version() -> str | None:
    """The catalog's current version token (vendors.models.CatalogVersion); None before any catalog write."""
    return CatalogVersion.objects.filter(pk=1).values_list("token", flat=True).first()
