"""Every route answers bad ids and parameters with a 4xx, never a 500; errors never show internals (issue 15).

The walk is built from the URL resolver (tests/routes.py): every parameter of every route gets ids that cannot be
one (text, zero, huge, NUL, spaces) and every route gets parameters it cannot use, by each kind of caller.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from gpo.members.models import Role
from reports.models import PurchaseUpload
from tests.factories import PurchaseLineFactory, PurchaseUploadFactory
from tests.routes import Route, all_routes, allowed_methods

BAD_IDS = ["abc", "0", "-1", "99999999999999999999", "1.5", "%00", "a%20b", "00000000-0000-0000-0000-00000000000g"]
BAD_QUERIES = [
    "?start=abc&end=2026-13-45",
    "?practice=no-such-practice",
    "?practice=",
    "?format=xlsx&table=nothing",
    "?page=abc",
    "?page=99999",
    "?status=bogus&vendor=nope&category=nope&contract=abc",
    "?month=2026-99&period=custom&start=x",
    "?search=%00&q=%00",
    "?limit=abc&offset=-5",
]
LEAKS = ("Traceback", 'File "/', '.py"', "django.", "Exception Value", "SELECT ", "psycopg", "sqlite3")


def _walked(route: Route) -> bool:
    # Signing out ends the session the walk runs in; the admin is walked by its own test.
    return not route.is_admin and route.name != "logout"


ROUTES = [route for route in all_routes() if _walked(route)]
ID_ROUTES = [route for route in ROUTES if route.parameters]
PLAIN_ROUTES = [route for route in ROUTES if not route.parameters]


@pytest.fixture(params=[Role.FINANCE, Role.VIEWER, Role.COALITION_ADMIN])
def walker(request: Any, make_member: Any, practice_a: Any) -> Client:
    """A signed-in client of one role, with an upload and a line of its practice in the database."""
    role = request.param
    upload = PurchaseUploadFactory(practice=practice_a)
    PurchaseLineFactory(upload=upload)
    user = make_member(role, None if role == Role.COALITION_ADMIN else practice_a)
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def _assert_answered(response: Any, method: str, url: str) -> None:
    assert response.status_code < 500, f"{method.upper()} {url} -> {response.status_code}"
    body = response.content.decode("utf-8", errors="replace") if not response.streaming else ""
    for leak in LEAKS:
        assert leak not in body, f"{method.upper()} {url} shows {leak!r}"


@pytest.mark.django_db
def test_a_bad_id_in_any_route_answers_4xx_for_every_method(walker):
    for route in ID_ROUTES:
        for bad in BAD_IDS:
            url = route.url(**dict.fromkeys(route.parameters, bad))
            for method in ("get", "post", "patch", "delete"):
                _assert_answered(getattr(walker, method)(url), method, url)


@pytest.mark.django_db
def test_bad_query_parameters_on_any_route_answer_4xx(walker):
    for route in PLAIN_ROUTES:
        for query in BAD_QUERIES:
            url = route.url() + query
            for method in allowed_methods(route):
                _assert_answered(getattr(walker, method)(url), method, url)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/uploads/abc/lines/", "/api/uploads/abc/rejected.xlsx/", "/api/uploads/abc/"])
def test_an_upload_id_that_cannot_be_one_answers_404(path, finance_a, client):
    client.force_login(finance_a)
    assert client.get(path).status_code == 404


@pytest.mark.django_db
def test_admin_pages_answer_bad_object_ids_without_500(make_member):
    admin = make_member(Role.COALITION_ADMIN, username="walk-admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = Client(raise_request_exception=False)
    client.force_login(admin)
    for route in all_routes():
        if not route.is_admin or not route.parameters:
            continue
        for bad in ("abc", "99999999999999999999"):
            values = {name: ("reports" if name == "app_label" else bad) for name in route.parameters}
            url = route.url(**values)
            _assert_answered(client.get(url), "get", url)


# --- error pages under DEBUG=0 ----------------------------------------------------------------------------------


def _broken_selector(**kwargs: Any) -> Any:
    raise RuntimeError('cannot open "/srv/gpo/reports/selectors/uploads.py": SELECT secret FROM psycopg')


@pytest.mark.django_db
def test_a_server_error_page_shows_no_traceback_under_debug_off(settings, finance_a, monkeypatch):
    settings.DEBUG = False
    monkeypatch.setattr("reports.views.uploads.upload_list", _broken_selector)
    client = Client(raise_request_exception=False)
    client.force_login(finance_a)

    response = client.get("/uploads/")

    assert response.status_code == 500
    body = response.content.decode()
    assert "RuntimeError" not in body
    assert "/srv/gpo" not in body
    for leak in LEAKS:
        assert leak not in body


@pytest.mark.django_db
def test_an_api_server_error_answers_json_without_internals(settings, finance_a, monkeypatch):
    settings.DEBUG = False
    monkeypatch.setattr("reports.api.uploads.UploadViewSet.selector", staticmethod(_broken_selector))
    client = Client(raise_request_exception=False)
    client.force_login(finance_a)

    response = client.get("/api/uploads/")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail"}
    assert "RuntimeError" not in response.json()["detail"]
    assert "/srv/gpo" not in response.content.decode()


@pytest.mark.django_db
def test_an_unknown_api_address_answers_json_404(client, finance_a):
    client.force_login(finance_a)
    response = client.get("/api/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.django_db
def test_a_missing_page_does_not_list_the_url_patterns(settings, client, finance_a):
    settings.DEBUG = False
    client.force_login(finance_a)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    # Django's technical 404 lists every pattern it tried ("uploads/<uuid:upload_id>/", "URLconf ..."): none here.
    assert "URLconf" not in body
    assert "<uuid:" not in body
    assert "&lt;uuid:" not in body
    assert PurchaseUpload.objects.count() == 0
