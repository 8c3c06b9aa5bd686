"""Log lines never carry emails, names, card data or secrets in full, and carry their context."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from loguru import logger

from infrastructure import log_masking
from infrastructure.log_masking import mask_text, mask_value
from infrastructure.logging import (
    bind_request_fields,
    configure_logging,
    correlation_id,
    flush_logs,
    job_log_context,
    request_log_context,
)
from infrastructure.settings import Settings

CARD = "4242 4242 4242 4242"


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("paid by jane.doe@example.com", "paid by j***@example.com"),
        ("<Jane.Doe+vip@mail.example.co.uk>", "<J***@mail.example.co.uk>"),
        (f"card {CARD} declined", "card **** **** **** 4242 declined"),
        ("card 4000-0566-5566-5556", "card ****-****-****-5556"),
        ("pan=4000056655665556;", "pan=************5556;"),
        ("amex 378282246310005", "amex ***********0005"),
        ("key sk_live_51Habcdefghijkl used", "key sk_live_*** used"),
        ("Authorization: Bearer abc.def-ghi_jkl", "Authorization: Bearer ***"),
        ("intent pi_3Kq_secret_Zx9aQ", "intent pi_3Kq_secret_***"),
        ("api key hf_FsfH-TB_QFeBZI5vCbFWi8Hh", "api key hf_***"),
    ],
)
def test_text_is_masked(raw: str, masked: str) -> None:
    assert mask_text(raw) == masked


@pytest.mark.parametrize(
    "kept",
    [
        "hold 123e4567-e89b-12d3-a456-426614174000 placed",
        "hold 12345678-1234-1234-1234-123456789012 placed",  # a UUID made of digits only
        "correlation 7b5439e45c8f40baa0b6106626d3e81c",
        "order 123456789012 of 12 digits",  # too short for a card
        "took 1795314662.348836 s",
        "GET /v1/bookings 200 3.1ms",
    ],
)
def test_ids_and_ordinary_numbers_are_left_alone(kept: str) -> None:
    assert mask_text(kept) == kept


def test_values_of_sensitive_keys_are_masked_whatever_they_look_like() -> None:
    logged = {
        "customer_name": "Jane Doe",
        "contact": {"email": "jane@example.com", "Name": "Jane", "phone_country": "FR"},
        "card": {"number": "4242424242424242", "exp": "12/30"},
        "headers": {"Authorization": "Basic amFuZTpzZWNyZXQ=", "X-API-Key": "hf_abc", "accept": "*/*"},
        "stripe_webhook_secret": "whsec_abc",
        "pool_count": 3,
        "note": "mail jane@example.com",
    }

    masked = mask_value(logged)

    assert masked == {
        "customer_name": "***",
        "contact": {"email": "j***@example.com", "Name": "***", "phone_country": "FR"},
        "card": {"number": "************4242", "exp": "***"},
        "headers": {"Authorization": "***", "X-API-Key": "***", "accept": "*/*"},
        "stripe_webhook_secret": "***",
        "pool_count": 3,
        "note": "mail j***@example.com",
    }
    assert logged["customer_name"] == "Jane Doe"  # the caller's objects are not touched


def _log_everything() -> None:
    pii = logger.bind(email="jane.doe@example.com", customer_name="Jane Doe", card=CARD, api_key="hf_secretkey")
    pii.info("checkout for jane.doe@example.com with {}", CARD)
    try:
        raise ValueError(f"could not write contact_email='jane.doe@example.com' card {CARD}")
    except ValueError:
        logger.exception("write failed")


def test_production_json_lines_carry_nothing_in_full(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(Settings(environment="production"))
    _log_everything()
    flush_logs()  # lines are written in batches
    out = capsys.readouterr().out

    assert "jane.doe" not in out
    assert "Jane Doe" not in out
    assert "4242 4242 4242 4242" not in out
    assert "hf_secretkey" not in out
    checkout, failure = (json.loads(line) for line in out.splitlines())
    assert checkout["message"] == "checkout for j***@example.com with **** **** **** 4242"
    assert checkout["email"] == "j***@example.com"
    assert checkout["customer_name"] == "***"
    assert checkout["card"] == "**** **** **** 4242"
    assert checkout["api_key"] == "***"
    assert "j***@example.com" in failure["exception"]["value"]
    assert "j***@example.com" in failure["exception"]["traceback"]
    assert failure["exception"]["type"] == "ValueError"


def test_production_lines_are_compact_json_with_the_documented_fields(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(Settings(environment="production"))
    with request_log_context("trace-7"):
        bind_request_fields(tenant_id="t-1")
        logger.info("GET /x 200", status=200, duration_ms=1.25, message="a field named like a key")
    flush_logs()
    [line] = capsys.readouterr().out.splitlines()
    parsed = json.loads(line)
    assert list(parsed)[:4] == ["time", "level", "message", "logger"]
    assert parsed["time"].endswith("Z")
    assert (parsed["level"], parsed["message"], parsed["logger"]) == ("INFO", "GET /x 200", __name__)
    assert (parsed["correlation_id"], parsed["tenant_id"]) == ("trace-7", "t-1")
    assert (parsed["status"], parsed["duration_ms"]) == (200, 1.25)  # numbers stay numbers
    assert parsed["extra.message"] == "a field named like a key"
    assert len(line) < 300  # not loguru's kilobyte of internals


def test_development_lines_carry_nothing_in_full(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(Settings(environment="development"))
    _log_everything()
    flush_logs()
    err = capsys.readouterr().err

    assert "jane.doe" not in err
    assert "4242 4242 4242 4242" not in err
    assert "checkout for j***@example.com with **** **** **** 4242" in err
    assert "contact_email='j***@example.com' card **** **** **** 4242" in err  # the traceback too


@pytest.fixture
def records() -> list[dict[str, Any]]:
    configure_logging(Settings())
    seen: list[dict[str, Any]] = []
    logger.add(lambda message: seen.append(message.record))
    return seen


def test_a_request_binds_its_correlation_id_and_later_its_tenant(records: list[dict[str, Any]]) -> None:
    with request_log_context("req-1"):
        logger.info("before authentication")
        bind_request_fields(tenant_id="t-1")
        logger.info("after authentication")
    logger.info("between requests")

    assert [(r["extra"]["correlation_id"], r["extra"].get("tenant_id")) for r in records] == [
        ("req-1", None),
        ("req-1", "t-1"),
        ("-", None),
    ]


def test_bind_request_fields_outside_a_request_changes_nothing(records: list[dict[str, Any]]) -> None:
    bind_request_fields(tenant_id="t-1")
    logger.info("no request")
    assert "tenant_id" not in records[0]["extra"]


async def test_job_log_context_binds_the_job_to_every_line(records: list[dict[str, Any]]) -> None:
    with job_log_context("job-7", "expire_holds"):
        logger.info("sweeping")
        with job_log_context("job-8", "send_email", correlation="req-9"):
            logger.info("nested")
        logger.info("back")
    logger.info("done")

    seen = [(r["extra"].get("job_id"), r["extra"].get("job"), r["extra"]["correlation_id"]) for r in records]
    assert seen == [
        ("job-7", "expire_holds", "job-7"),
        ("job-8", "send_email", "req-9"),
        ("job-7", "expire_holds", "job-7"),
        (None, None, "-"),
    ]
    assert correlation_id.get() == "-"


_PIECES = st.sampled_from(["4242424242", "4242", "42", "7", "-", "a", "Z", "é", "٤٤٤٤", "²", "_", "@x.io", " ", "hf_"])


@given(
    st.one_of(
        st.text(alphabet="0123456789-abcé٤²_@ .", min_size=1, max_size=40), st.lists(_PIECES, min_size=1).map("".join)
    )
)
@settings(max_examples=3000, deadline=None)
def test_text_the_guard_lets_through_is_text_no_pattern_changes(text: str) -> None:
    """``mask_text`` returns ids and the like untouched without running its patterns
    (``_cannot_match``): whatever the guard lets through, the patterns would not have changed."""
    if log_masking._cannot_match(text):
        for pattern in (log_masking._EMAIL, log_masking._CARD, log_masking._CARD_IN_JSON, log_masking._SECRET):
            assert pattern.search(text) is None, (pattern.pattern, text)


@pytest.mark.parametrize("text", ["4242424242424242", "4242-4242-4242-4242", "4242 4242 4242 4242"])
def test_a_card_alone_is_never_taken_for_an_id(text: str) -> None:
    assert not log_masking._cannot_match(text)
    assert "4242424242424242" not in mask_text(text).replace("-", "").replace(" ", "")
