"""Every route of the project, read from the URL resolver (router routes included), with its parameters to fill.

The route walks (tests/api/test_scoping.py, tests/api/test_bad_requests.py) build their requests from this list, so a
route added anywhere is walked without anyone remembering to list it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

_ROUTE_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?:[^()]|\([^()]*\))*\)")


@dataclass(frozen=True)
class Route:
    """One URL pattern: its address with `{name}` placeholders, the view behind it and the methods it allows."""

    template: str
    name: str
    callback: Any
    parameters: tuple[str, ...]

    def url(self, **values: object) -> str:
        """The address with each parameter replaced by `values[name]`."""
        return self.template.format(**{name: values[name] for name in self.parameters})

    @property
    def view_class(self) -> type | None:
        return getattr(self.callback, "cls", None) or getattr(self.callback, "view_class", None)

    @property
    def is_admin(self) -> bool:
        return self.template.startswith("/admin/")

    @property
    def is_api(self) -> bool:
        return self.template.startswith("/api/")


def _template_part(pattern: Any) -> tuple[str, list[str]]:
    """A pattern's text with `{name}` placeholders, and the names in order."""
    if isinstance(pattern, RoutePattern):
        text = str(pattern)
        names = [match.group("name") for match in _ROUTE_PARAMETER.finditer(text)]
        return _ROUTE_PARAMETER.sub(lambda match: "{" + match.group("name") + "}", text), names
    assert isinstance(pattern, RegexPattern), pattern
    text = str(pattern)
    names = [match.group("name") for match in _REGEX_GROUP.finditer(text)]
    text = _REGEX_GROUP.sub(lambda match: "{" + match.group("name") + "}", text)
    text = text.removeprefix("^").removesuffix("$").replace("\\.", ".").replace("\\-", "-")
    return text, names


def _walk(patterns: list[Any], prefix: str, names: list[str]) -> Iterator[Route]:
    for pattern in patterns:
        text, found = _template_part(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + text, names + found)
        elif isinstance(pattern, URLPattern):
            yield Route("/" + prefix + text, pattern.name or "", pattern.callback, tuple(names + found))


def all_routes() -> list[Route]:
    """Every route the project answers, in resolver order."""
    return list(_walk(get_resolver().url_patterns, "", []))


def allowed_methods(route: Route) -> list[str]:
    """The HTTP methods a route's view answers (lower case), from its class or its require_* decorator."""
    view_class = route.view_class
    actions = getattr(route.callback, "actions", None)
    if actions:  # a DRF router route: {method: action}
        return sorted(actions)
    if view_class is not None:
        return sorted(m for m in ("get", "post", "put", "patch", "delete") if hasattr(view_class, m))
    return ["get", "post"]
