"""Fan-out of per-message requests: bounded, stops at the first failure, keeps answers."""

from __future__ import annotations

import threading
import time
from uuid import uuid4

import pytest

from messaging.gateways.base import GatewayThrottled, GatewayUnavailable, SubmitResult
from messaging.gateways.fanout import submit_each

REFS = [uuid4() for _ in range(20)]


def test_a_throttle_half_way_keeps_the_answers_before_it():
    def send(i: int) -> list[SubmitResult]:
        if i == 5:
            raise GatewayThrottled(3.0)
        return [SubmitResult(REFS[i], accepted=True, provider_id=str(i))]

    with pytest.raises(GatewayThrottled) as raised:
        submit_each(range(10), send, concurrency=1, name="test")
    assert raised.value.retry_after == 3.0
    assert [r.client_ref for r in raised.value.results] == REFS[:5]


def test_in_parallel_no_request_starts_after_a_failure_and_none_is_lost():
    started: list[int] = []
    lock = threading.Lock()

    def send(i: int) -> list[SubmitResult]:
        with lock:
            started.append(i)
        time.sleep(0.02)
        if i == 3:
            raise GatewayUnavailable("down")
        return [SubmitResult(REFS[i], accepted=True)]

    with pytest.raises(GatewayUnavailable) as raised:
        submit_each(range(20), send, concurrency=4, name="test")
    answered = {r.client_ref for r in raised.value.results}
    assert answered == {REFS[i] for i in started if i != 3}
    assert len(started) < 20  # the rest were handed back untried


def test_a_bug_in_one_request_is_an_outage_not_a_loss():
    def send(i: int) -> list[SubmitResult]:
        if i == 1:
            raise KeyError("oops")
        return [SubmitResult(REFS[i], accepted=True)]

    with pytest.raises(GatewayUnavailable, match="KeyError") as raised:
        submit_each(range(3), send, concurrency=1, name="test")
    assert [r.client_ref for r in raised.value.results] == [REFS[0]]


def test_answers_keep_the_order_of_the_items():
    def send(i: int) -> list[SubmitResult]:
        time.sleep(0.001 * (10 - i))
        return [SubmitResult(REFS[i], accepted=True)]

    results = submit_each(range(10), send, concurrency=5, name="test")
    assert [r.client_ref for r in results] == REFS[:10]
