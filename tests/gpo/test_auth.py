"""Signing in, lock-out, API tokens and the identity endpoint."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gpo.members.models import Role

PASSWORD = "correct-horse-battery"


@pytest.mark.django_db
def test_home_redirects_anonymous_visitors_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("login")


@pytest.mark.django_db
def test_login_page_signs_in_and_home_goes_to_the_practice_dashboard(client, finance_a):
    response = client.post("/accounts/login/", {"username": finance_a.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/")["Location"] == "/dashboard/"


@pytest.mark.django_db
def test_coalition_staff_home_is_the_coalition_dashboard(client, coalition_admin):
    client.force_login(coalition_admin)
    assert client.get("/")["Location"] == "/coalition/"


@pytest.mark.django_db
def test_login_locks_out_after_repeated_failures(client, finance_a, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": finance_a.username, "password": "wrong"})
    response = client.post("/accounts/login/", {"username": finance_a.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_token_endpoint_returns_a_token_for_valid_credentials(client, finance_a):
    response = client.post("/api/auth/token/", {"username": finance_a.username, "password": PASSWORD})
    assert response.status_code == 200
    assert set(response.json()) == {"token"}
    assert len(response.json()["token"]) == 40


@pytest.mark.django_db
def test_token_endpoint_refuses_a_wrong_password(client, finance_a):
    response = client.post("/api/auth/token/", {"username": finance_a.username, "password": "nope"})
    assert response.status_code == 400
    assert "token" not in response.json()


@pytest.mark.django_db
def test_token_works_as_authorization_header(client, finance_a, practice_a):
    token = client.post("/api/auth/token/", {"username": finance_a.username, "password": PASSWORD}).json()["token"]
    response = client.get("/api/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    assert response.json()["practices"] == [{"slug": practice_a.slug, "name": practice_a.name, "roles": ["finance"]}]


@pytest.mark.django_db
def test_me_lists_coalition_roles(api_client_for, coalition_admin):
    body = api_client_for(coalition_admin).get("/api/me/").json()
    assert body["roles"] == [Role.COALITION_ADMIN]
    assert body["is_coalition_staff"] is True


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/me/", "/api/vendors/", "/api/contracts/", "/api/uploads/", "/api/savings/"])
def test_unauthenticated_api_calls_are_refused(client, path):
    assert client.get(path).status_code in {401, 403}


@pytest.mark.django_db
def test_practice_picker_remembers_the_choice(client, make_member, practice_a, practice_b):
    user = make_member(Role.FINANCE, practice_a)
    from gpo.members.models import Membership

    Membership.objects.create(user=user, practice=practice_b, role=Role.VIEWER)
    client.force_login(user)
    response = client.post("/practice/pick/", {"practice": practice_b.slug, "next": "/catalog/"})
    assert response["Location"] == "/catalog/"
    assert '<option value="beta-imaging" selected>' in client.get("/catalog/").content.decode()


@pytest.mark.django_db
def test_practice_picker_answers_404_for_another_practice(client, finance_a, practice_b):
    client.force_login(finance_a)
    assert client.post("/practice/pick/", {"practice": practice_b.slug}).status_code == 404


@pytest.mark.django_db
def test_practice_picker_ignores_an_offsite_next(client, finance_a, practice_a):
    client.force_login(finance_a)
    response = client.post("/practice/pick/", {"practice": practice_a.slug, "next": "https://evil.example/"})
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_api_docs_and_schema_render(client, finance_a):
    client.force_login(finance_a)
    assert client.get("/api/docs/").status_code == 200
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/auth/token/" in schema.content


@pytest.mark.django_db
def test_pages_send_a_content_security_policy_without_unsafe_inline(client, finance_a):
    client.force_login(finance_a)
    policy = client.get("/catalog/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
