"""Public ids are not guessable (SECURITY.md item 16): uploads by a random UUID, lines by it and their row.

The integer keys stay inside the server: an address built from one answers 404, and no API answer carries one.
"""

from __future__ import annotations

import re
import uuid

import pytest

from tests.factories import PurchaseLineFactory, PurchaseUploadFactory

pytestmark = pytest.mark.django_db

UUID_TEXT = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


@pytest.fixture
def two_uploads(practice_a):
    first = PurchaseUploadFactory(practice=practice_a)
    second = PurchaseUploadFactory(practice=practice_a)
    return first, second


def test_api_upload_ids_are_random_uuids_that_do_not_follow_each_other(api_client_for, finance_a, two_uploads):
    ids = [row["id"] for row in api_client_for(finance_a).get("/api/uploads/").json()["results"]]
    assert len(ids) == 2
    assert all(UUID_TEXT.match(value) for value in ids), ids
    assert {uuid.UUID(value) for value in ids} == {upload.public_id for upload in two_uploads}
    assert not {str(upload.pk) for upload in two_uploads} & set(ids)


@pytest.mark.parametrize(
    "template",
    ["/api/uploads/{}/", "/api/uploads/{}/lines/", "/api/uploads/{}/rejected.xlsx/", "/uploads/{}/"],
)
def test_an_old_integer_upload_address_answers_404(template, client, finance_a, two_uploads):
    client.force_login(finance_a)
    upload = two_uploads[0]
    assert client.get(template.format(upload.pk)).status_code == 404
    assert client.get(template.format(upload.public_id)).status_code == 200


def test_integer_delete_address_deletes_nothing(client, finance_a, two_uploads):
    client.force_login(finance_a)
    upload = two_uploads[0]
    assert client.post(f"/uploads/{upload.pk}/delete").status_code == 404
    assert client.delete(f"/api/uploads/{upload.pk}/").status_code == 404
    assert type(upload).objects.filter(pk=upload.pk).exists()


def test_lines_carry_no_integer_id_and_name_a_repeat_by_upload_and_row(api_client_for, finance_a, two_uploads):
    first_upload, second_upload = two_uploads
    earlier = PurchaseLineFactory(upload=first_upload, row_number=7)
    PurchaseLineFactory(upload=second_upload, row_number=3, repeat_of=earlier)

    rows = api_client_for(finance_a).get(f"/api/uploads/{second_upload.public_id}/lines/").json()["results"]

    assert rows[0]["id"] == f"{second_upload.public_id}:3"
    assert rows[0]["repeat_of"] == f"{first_upload.public_id}:7"


def test_the_conflict_answer_points_at_the_first_upload_by_its_public_id(api_client_for, finance_a, practice_a):
    from tests.reports.upload_samples import csv_upload

    client = api_client_for(finance_a)
    first = client.post("/api/uploads/", {"file": csv_upload(), "practice": practice_a.slug}, format="multipart")
    again = client.post("/api/uploads/", {"file": csv_upload(), "practice": practice_a.slug}, format="multipart")

    assert again.status_code == 409
    assert again.json()["upload_id"] == first.json()["id"]
    assert UUID_TEXT.match(again.json()["upload_id"])


# --- no answer of the API carries a sequential key (SECURITY.md item 16) ------------------------------------------

# The catalog (vendors, contracts, categories) is the same for every member: its keys name nothing confidential and
# `GET /api/contracts/{id}/` is a public contract of DESIGN §7. Everything else is a practice's or the coalition's.
CATALOG_PREFIXES = ("/api/vendors/", "/api/contracts/")
ID_KEYS = {"id", "upload", "repeat_of", "claim", "month_close", "report"}


def _ids(value, found):
    if isinstance(value, dict):
        for key, item in value.items():
            if (key in ID_KEYS or key.endswith("_id")) and not isinstance(item, dict | list):
                found.append((key, item))
            _ids(item, found)
    elif isinstance(value, list):
        for item in value:
            _ids(item, found)
    return found


def _sequential(value) -> bool:
    return isinstance(value, int) or (isinstance(value, str) and value.isdigit())


@pytest.mark.parametrize("role", ["finance", "coalition_admin"])
def test_no_api_list_carries_a_sequential_id(role, api_client_for, make_member, practice_a, two_uploads):
    from tests.routes import all_routes, allowed_methods

    first, second = two_uploads
    earlier = PurchaseLineFactory(upload=first, row_number=7, status="on_contract")
    PurchaseLineFactory(upload=second, row_number=3, repeat_of=earlier, status="on_contract", vendor_name="Zed Co")
    user = make_member(role, practice_a if role == "finance" else None)
    client = api_client_for(user)
    lists = [
        route
        for route in all_routes()
        if route.is_api
        and not route.parameters
        and "get" in allowed_methods(route)
        and not route.template.startswith(CATALOG_PREFIXES)
        and route.name not in {"api-schema", "api-docs"}
    ]
    assert {route.template for route in lists} >= {"/api/uploads/", "/api/lines/", "/api/savings/"}
    seen = []
    for route in lists:
        response = client.get(route.url())
        if response.status_code != 200 or not response["Content-Type"].startswith("application/json"):
            continue
        found = _ids(response.json(), [])
        seen += found
        sequential = [(key, value) for key, value in found if _sequential(value)]
        assert not sequential, f"{route.template} shows sequential ids {sequential[:5]}"
    assert {key for key, _ in seen} >= {"id", "upload", "repeat_of"}
