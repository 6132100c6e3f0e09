"""Pagination for every list endpoint (kept apart from gpo.api: DRF imports it while loading its generics)."""

from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    """`{"count", "next", "previous", "results"}` pages (DESIGN.md section 7)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000
