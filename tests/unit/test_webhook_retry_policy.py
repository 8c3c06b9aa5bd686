"""The inbox's retry policy: exponential, jittered, capped, and dead after the last attempt."""

from __future__ import annotations

from datetime import timedelta

import pytest

from application.use_cases.process_webhook_event import HANDLER_TIMEOUT_SECONDS, LEASE_SECONDS, describe
from domain.errors import InvalidValueError
from domain.webhooks import InboxStatus, RetryPolicy

POLICY = RetryPolicy(max_attempts=5, base_seconds=10, cap_seconds=60)


@pytest.mark.parametrize(("attempts", "step"), [(1, 10), (2, 20), (3, 40), (4, 60), (50, 60), (10**6, 60)])
def test_each_step_doubles_up_to_the_cap_and_jitter_spreads_its_second_half(attempts: int, step: float) -> None:
    assert POLICY.delay(attempts, 0.0) == timedelta(seconds=step / 2)
    assert POLICY.delay(attempts, 0.5) == timedelta(seconds=step * 3 / 4)
    assert POLICY.delay(attempts, 0.999999) < timedelta(seconds=step)


def test_jitter_outside_its_range_is_clamped() -> None:
    assert POLICY.delay(1, -3) == timedelta(seconds=5)
    assert POLICY.delay(1, 7) == timedelta(seconds=10)


def test_an_event_is_dead_after_its_last_allowed_attempt() -> None:
    statuses = [POLICY.status_after_failure(attempts) for attempts in range(1, 7)]
    assert statuses == [InboxStatus.FAILED] * 4 + [InboxStatus.DEAD] * 2


@pytest.mark.parametrize(("attempts", "base", "cap"), [(0, 1, 2), (1, 0, 2), (1, 3, 2)])
def test_a_policy_that_makes_no_sense_is_refused(attempts: int, base: float, cap: float) -> None:
    with pytest.raises(InvalidValueError):
        RetryPolicy(attempts, base, cap)


def test_a_handler_is_cut_off_before_its_lease_could_pass_to_another_worker() -> None:
    assert HANDLER_TIMEOUT_SECONDS < LEASE_SECONDS


def test_errors_are_described_briefly() -> None:
    assert describe(TimeoutError()) == "TimeoutError"
    assert describe(RuntimeError("x" * 900)).startswith("RuntimeError: xxx")
    assert len(describe(RuntimeError("x" * 900))) == 500
