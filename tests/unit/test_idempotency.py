"""Idempotency keys: what a valid key is, what makes two requests the same, what is kept."""

from __future__ import annotations

from uuid import uuid4

import pytest

from application.errors import InvalidIdempotencyKeyError
from application.use_cases.run_idempotently import RunIdempotently, is_final
from infrastructure.settings import Settings, SettingsError

TENANT = uuid4()


def request(key: str = "k", method: str = "POST", target: str = "/v1/holds", body: bytes = b"{}") -> RunIdempotently:
    return RunIdempotently(TENANT, key, method, target, body)


@pytest.mark.parametrize("key", ["", "k" * 256, "caf\u00e9", "tab\there", "new\nline", "\x7f"])
def test_a_key_must_be_1_to_255_printable_ascii_characters(key: str) -> None:
    with pytest.raises(InvalidIdempotencyKeyError) as refused:
        request(key)
    assert refused.value.code == "invalid_idempotency_key"


@pytest.mark.parametrize("key", ["a", " ", "~" * 255, "order-42:retry/1"])
def test_printable_keys_up_to_255_characters_are_fine(key: str) -> None:
    assert request(key).key == key


def test_the_fingerprint_covers_method_target_and_body_bytes() -> None:
    same = {request().fingerprint, request().fingerprint, request(key="other").fingerprint}
    different = {
        request(method="PATCH").fingerprint,
        request(target="/v1/holds?x=1").fingerprint,
        request(body=b"{ }").fingerprint,
    }
    assert len(same) == 1
    assert len(different | same) == 4


@pytest.mark.parametrize(
    ("status", "kept"), [(200, True), (201, True), (409, True), (422, True), (429, False), (500, False), (503, False)]
)
def test_final_outcomes_are_kept_failures_are_not(status: int, kept: bool) -> None:
    assert is_final(status) is kept


def test_records_live_24_hours_unless_told_longer() -> None:
    assert Settings.from_env({}).idempotency_ttl_hours == 24
    assert Settings.from_env({"HOLDFAST_IDEMPOTENCY_TTL_HOURS": "48"}).idempotency_ttl_hours == 48


@pytest.mark.parametrize("value", ["23", "0", "-1", "a day", "721"])
def test_a_ttl_below_24_hours_or_absurd_is_refused(value: str) -> None:
    with pytest.raises(SettingsError, match="HOLDFAST_IDEMPOTENCY_TTL_HOURS"):
        Settings.from_env({"HOLDFAST_IDEMPOTENCY_TTL_HOURS": value})
