"""Two requests with one Idempotency-Key at the same moment: one message, one charge."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client

from accounts.models import LedgerEntry
from messaging.models import Message
from tests.messaging.test_single_send import GUIDE_BODY, SEND


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_send_and_charge_once(api):
    barrier = threading.Barrier(2)
    answers: list = []

    def send() -> None:
        barrier.wait()
        try:
            answers.append(
                Client().post(
                    SEND,
                    data=GUIDE_BODY,
                    content_type="application/json",
                    headers={"X-Api-Key": api.key, "Idempotency-Key": "same"},
                )
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) in ([201, 201], [201, 409])
    ids = {a.json()["id"] for a in answers if a.status_code == 201}
    assert len(ids) == 1
    assert Message.objects.count() == 1
    assert LedgerEntry.objects.filter(kind="reservation").count() == 1
