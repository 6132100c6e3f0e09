"""Two simultaneous POSTs of the same file: one upload is created, the other answers 409 with its id, every time.

PostgreSQL only (SQLite serialises writers on one file lock): two real connections, threads released together by a
barrier just before the upload row is written, repeated over several pairs. The answer comes from the unique
violation itself, so no timing lets a loser slip through as a 400 or a second upload.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any
from unittest import mock

import pytest
from django.core.files.storage import FileSystemStorage
from django.db import connection, connections
from rest_framework.test import APIClient

from reports.models import PurchaseUpload
from tests.reports.upload_samples import csv_rows, csv_upload

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a real race needs PostgreSQL's concurrent writers"),
    pytest.mark.django_db(transaction=True),
]

PAIRS = 6


def _post_together(clients: list[APIClient], practice_slug: str, content: bytes, *, staggered: bool) -> list[Any]:
    """POST the same file from two clients at once.

    Both are released together once each has hashed and stored its file, right before the upload row is written.
    `staggered` then holds the second one until the first has answered (its upload committed): the interleaving
    that found a check made before the insert passing, and the loser answered 400 "already exists".
    """
    barrier = threading.Barrier(len(clients), timeout=30)
    first_answered = threading.Event()
    arrivals = itertools.count()
    real_save = FileSystemStorage.save

    def save_then_wait(self: FileSystemStorage, *args: Any, **kwargs: Any) -> str:
        name = real_save(self, *args, **kwargs)
        barrier.wait()
        if staggered and next(arrivals) == 1:
            first_answered.wait(timeout=30)
        return name

    answers: list[Any] = [None] * len(clients)

    def post(index: int) -> None:
        try:
            answers[index] = clients[index].post(
                "/api/uploads/", {"file": csv_upload(content), "practice": practice_slug}, format="multipart"
            )
        finally:
            first_answered.set()
            connections.close_all()

    with mock.patch.object(FileSystemStorage, "save", save_then_wait):
        threads = [threading.Thread(target=post, args=(index,)) for index in range(len(clients))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    return answers


@pytest.mark.parametrize("staggered", [False, True], ids=["inserting_together", "second_after_first_committed"])
def test_simultaneous_posts_of_one_file_create_one_upload_and_answer_409_with_its_id(
    staggered, api_client_for, make_member, practice_a
):
    clients = [api_client_for(make_member("finance", practice_a)) for _ in range(2)]
    outcomes = []
    for pair in range(PAIRS):
        content = csv_rows(f"2026-03-15,Acme Medical,SKU-{pair},Gloves,1,EA,2.50,2.50,INV-{pair}")
        answers = _post_together(clients, practice_a.slug, content, staggered=staggered)
        outcomes.append(sorted(answer.status_code for answer in answers))
        created = [answer.json() for answer in answers if answer.status_code == 201]
        refused = [answer.json() for answer in answers if answer.status_code == 409]
        if len(created) == 1 and len(refused) == 1:
            assert set(refused[0]) == {"detail", "upload_id"}
            assert refused[0]["upload_id"] == created[0]["id"]

    assert outcomes == [[201, 409]] * PAIRS
    assert PurchaseUpload.objects.count() == PAIRS
