"""Request guards in front of every view."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url_case", "url"),
    [
        ("path", "/catalog/contracts/number/%00/"),
        ("query value", "/catalog/?q=%00"),
        ("query key", "/api/vendors/?se%00arch=x"),
    ],
)
def test_nul_in_the_address_answers_400_before_any_view(url_case, url, finance_a):
    client = Client()
    client.force_login(finance_a)
    response = client.get(url)
    assert response.status_code == 400
    assert b"NUL character" in response.content


@pytest.mark.django_db
def test_nul_in_a_url_encoded_form_field_answers_400(finance_a):
    response = Client().post(
        "/accounts/login/", "username=fin%00ance&password=x", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400


@pytest.mark.django_db
def test_api_answers_nul_refusal_as_json(finance_a):
    client = Client()
    client.force_login(finance_a)
    response = client.get("/api/vendors/?search=%00")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The request contains a NUL character, which no address, filter or field may hold."
    }
