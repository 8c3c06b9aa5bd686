"""The access line is the same line whether Holdfast writes it itself (production, its writer the
only sink) or loguru does (any other set-up): same fields, same masking."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from loguru import logger

from infrastructure.logging import bind_request_fields, configure_logging, flush_logs, log_access, request_log_context
from infrastructure.settings import Settings

PATH = "/v1/holds/{x}/jane.doe@example.com/4242424242424242"


def _log_one(path: str = PATH, ident: str = "trace-9") -> None:
    with request_log_context(ident):
        bind_request_fields(tenant_id="t-1", api_key="hf_abcdefghijk")
        log_access("POST", path, 409, 0.00193)


def _without_time(line: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in line.items() if k != "time"}


@pytest.fixture(autouse=True)
def _restore() -> Any:
    yield
    configure_logging(Settings())


def test_the_line_written_directly_is_the_line_loguru_writes(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(Settings(environment="production"))
    _log_one()  # written directly: the writer is the only sink
    flush_logs()
    direct = json.loads(capsys.readouterr().out)

    other = io.StringIO()
    sink = logger.add(other, format="{message}", level="INFO")  # a second sink: through loguru
    try:
        _log_one()
    finally:
        logger.remove(sink)
    flush_logs()
    through_loguru = json.loads(capsys.readouterr().out)

    assert _without_time(direct) == _without_time(through_loguru)
    assert direct["time"].endswith("Z")
    assert direct["message"].startswith("POST /v1/holds/{x}/j***@example.com/")  # braces kept as sent
    assert direct["message"].endswith(" 1.9ms")
    assert "4242424242424242" not in direct["message"]
    assert (direct["status"], direct["duration_ms"]) == (409, 1.93)
    assert (direct["correlation_id"], direct["tenant_id"], direct["api_key"]) == ("trace-9", "t-1", "***")
    assert direct["logger"] == "interfaces.http.middleware"
    assert "POST /v1/holds/" in other.getvalue()  # the other sink got the line too


@pytest.mark.parametrize(
    ("path", "ident"),
    [
        # digits at the end of the path that a card-like run joins with the status and duration
        ("/v1/things/4242 4242 4242", "trace-9"),
        ("/v1/holds/8fad7559-affe-4af7-98c3-47b8e7c64798", "3dc6f828fefe14e400000000000075ef"),
        ("/v1/holds", "4242-4242-4242-4242"),  # a client's correlation id that reads as a card
        ("/v1/holds", "hf_abcdefghijklmnop"),  # ... or as a key
        ("/v1/holds/", "trace-9"),
    ],
)
def test_lines_written_directly_mask_as_loguru_does(capsys: pytest.CaptureFixture[str], path: str, ident: str) -> None:
    configure_logging(Settings(environment="production"))
    _log_one(path, ident)
    _log_one(path, ident)  # the second from the per-path cache
    flush_logs()
    direct = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    other = io.StringIO()
    sink = logger.add(other, format="{message}", level="INFO")
    try:
        _log_one(path, ident)
    finally:
        logger.remove(sink)
    flush_logs()
    through_loguru = json.loads(capsys.readouterr().out)
    assert _without_time(direct[0]) == _without_time(direct[1]) == _without_time(through_loguru)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", direct[0]["time"])


def test_a_level_above_info_writes_no_access_line(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(Settings(environment="production", log_level="WARNING"))
    _log_one()
    flush_logs()
    assert capsys.readouterr().out == ""
