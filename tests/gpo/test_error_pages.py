"""Styled 403, 404 and 500 pages, with DEBUG on (the demo) and off (production); the API docs under the CSP."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path

from gpo.members.models import Role


def _broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("secret internals /srv/app/settings.py")


def _forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("Only the practice's finance lead may do this.")


# This module doubles as a URLconf: the project's routes plus two that fail on purpose.
urlpatterns = [path("broken/", _broken), path("forbidden/", _forbidden), path("", include("gpo.urls"))]


@pytest.fixture
def failing_routes(settings):
    settings.ROOT_URLCONF = __name__


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [True, False])
def test_unknown_page_is_the_styled_404_case(settings, debug, finance_a):
    settings.DEBUG = debug
    client = Client()
    client.force_login(finance_a)

    response = client.get("/no/such/page/")

    html = response.content.decode()
    assert response.status_code == 404
    assert "Nothing here" in html
    assert "/static/css/app.css" in html
    assert "URLconf" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [True, False])
def test_another_practices_upload_is_the_styled_404_without_its_name_case(settings, debug, finance_a, practice_b):
    from tests.factories import PurchaseUploadFactory

    settings.DEBUG = debug
    theirs = PurchaseUploadFactory(practice=practice_b, original_filename="beta-secret.csv")
    client = Client()
    client.force_login(finance_a)

    response = client.get(f"/uploads/{theirs.public_id}/")

    assert response.status_code == 404
    assert "Nothing here" in response.content.decode()
    assert "beta-secret" not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.usefixtures("failing_routes")
def test_forbidden_page_is_styled_and_says_why_case(settings, debug, finance_a):
    settings.DEBUG = debug
    client = Client()
    client.force_login(finance_a)

    response = client.get("/forbidden/")

    html = response.content.decode()
    assert response.status_code == 403
    assert "You may not open this page" in html
    assert "Only the practice&#x27;s finance lead may do this." in html
    assert "/static/css/app.css" in html


@pytest.mark.django_db
@pytest.mark.usefixtures("failing_routes")
def test_server_error_is_styled_without_a_traceback(settings):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)

    response = client.get("/broken/")

    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in html
    assert "/static/css/app.css" in html
    assert "Traceback" not in html
    assert "secret internals" not in html


@pytest.mark.django_db
def test_api_errors_stay_json(finance_a, api_client_for, practice_b):
    from tests.factories import PurchaseUploadFactory

    theirs = PurchaseUploadFactory(practice=practice_b)

    response = api_client_for(finance_a).get(f"/api/uploads/{theirs.id}/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


@pytest.mark.django_db
def test_api_docs_page_has_no_inline_script_or_style(make_member):
    client = Client()
    client.force_login(make_member(Role.COALITION_ADMIN))

    page = client.get("/api/docs/")
    html = page.content.decode()
    script_urls = re.findall(r'<script src="([^"]+)"', html)
    start_up = client.get(script_urls[-1])

    assert page.status_code == 200
    assert "<style" not in html
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert "unsafe-inline" not in page["Content-Security-Policy"]
    assert start_up.status_code == 200
    assert start_up["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in start_up.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [True, False])
def test_expired_form_is_the_styled_403_case(settings, debug, finance_a):
    settings.DEBUG = debug
    client = Client(enforce_csrf_checks=True)
    client.force_login(finance_a)

    response = client.post("/claims/new", {"vendor": "any"})

    html = response.content.decode()
    assert response.status_code == 403
    assert "This form has expired" in html
    assert "/static/css/app.css" in html
    assert "CSRF" not in html


@pytest.mark.django_db
def test_api_docs_scripts_are_all_same_origin_files(finance_a):
    client = Client()
    client.force_login(finance_a)

    html = client.get("/api/docs/").content.decode()
    sources = re.findall(r"<script\b[^>]*\bsrc=\"([^\"]+)\"", html)
    stylesheets = re.findall(r"<link\b[^>]*\bhref=\"([^\"]+)\"", html)

    assert len(sources) == 3
    assert all(url.startswith("/") and not url.startswith("//") for url in [*sources, *stylesheets])
    assert [client.get(url).status_code for url in sources] == [200, 200, 200]
