"""The Prometheus adapter keeps its own registry; the HTTP metrics agree with the error map."""

from __future__ import annotations

import os
from pathlib import Path
from uuid import uuid4

import pytest
from litestar.exceptions import (
    ClientException,
    InternalServerException,
    NotAuthorizedException,
    ServiceUnavailableException,
    ValidationException,
)
from litestar.testing import RequestFactory
from prometheus_client import REGISTRY, generate_latest
from redis import exceptions as redis_errors

from application.errors import IdempotencyMismatchError, InvalidIdempotencyKeyError
from domain.bookings import BookingStatus
from domain.errors import InsufficientInventoryError, NotFoundError, PaymentProviderUnavailableError
from infrastructure.metrics import PrometheusMetrics
from interfaces.http.errors import EXCEPTION_HANDLERS, answered_status
from interfaces.http.server import MULTIPROCESS_DIR, _shared_metrics


def test_each_adapter_counts_in_a_registry_of_its_own() -> None:
    one, other = PrometheusMetrics(), PrometheusMetrics()

    one.hold_placed()
    one.booking_moved(BookingStatus.CONFIRMED)

    assert one.registry.get_sample_value("holdfast_holds_placed_total") == 1
    assert other.registry.get_sample_value("holdfast_holds_placed_total") == 0
    labels = {"to_status": "confirmed"}
    assert one.registry.get_sample_value("holdfast_booking_transitions_total", labels) == 1
    assert REGISTRY.get_sample_value("holdfast_holds_placed_total") is None  # never the global one


def test_one_process_serves_its_own_registry_with_one_value_a_gauge() -> None:
    # Tests, `holdfast worker` and a one-worker `holdfast serve` run without the variable.
    assert MULTIPROCESS_DIR not in os.environ
    one, other = PrometheusMetrics(), PrometheusMetrics()
    one.http_request("GET", "/health/live", 200, 0.01)
    one.inventory_state_observed(True)

    body, _ = one.exposition()

    assert body == generate_latest(one.registry)
    lines = body.decode().splitlines()
    assert 'holdfast_http_requests_total{method="GET",route="/health/live",status="200"} 1.0' in lines
    assert "holdfast_inventory_state_missing 1.0" in lines  # no pid label
    assert b"holdfast_http_requests_total{" not in other.exposition()[0]


def test_serve_names_a_metrics_directory_only_for_several_workers_and_removes_it() -> None:
    with _shared_metrics(1):
        assert MULTIPROCESS_DIR not in os.environ
    with _shared_metrics(2):
        path = Path(os.environ[MULTIPROCESS_DIR])
        assert path.is_dir()
    assert MULTIPROCESS_DIR not in os.environ
    assert not path.exists()


def test_only_5xx_answers_count_as_errors() -> None:
    metrics = PrometheusMetrics()
    labels = {"method": "GET", "route": "/v1/holds/{hold_id}"}

    metrics.http_request(labels["method"], labels["route"], 404, 0.01)
    metrics.http_request(labels["method"], labels["route"], 503, 0.02)

    errors = "holdfast_http_request_errors_total"
    assert metrics.registry.get_sample_value(errors, {**labels, "status": "404"}) is None
    assert metrics.registry.get_sample_value(errors, {**labels, "status": "503"}) == 1
    count = "holdfast_http_request_duration_seconds_count"
    assert metrics.registry.get_sample_value(count, {**labels, "status": "404"}) == 1


@pytest.mark.parametrize(
    "exc",
    [
        InvalidIdempotencyKeyError("bad key"),
        IdempotencyMismatchError("another request"),
        InsufficientInventoryError({uuid4(): 0}),
        NotFoundError("hold", uuid4()),
        PaymentProviderUnavailableError("down"),
        ClientException("Request Entity Too Large", status_code=413),
        ValidationException("bad"),
        NotAuthorizedException(),
        InternalServerException(),
        ServiceUnavailableException(),
        redis_errors.ConnectionError("refused"),
        ValueError("a bug"),
    ],
    ids=lambda exc: type(exc).__name__,
)
async def test_an_escaped_exception_is_counted_with_the_status_the_handlers_answer(exc: Exception) -> None:
    handler = next(EXCEPTION_HANDLERS[cls] for cls in type(exc).__mro__ if cls in EXCEPTION_HANDLERS)

    response = handler(RequestFactory().get("/v1/holds"), exc)

    assert answered_status(exc) == response.status_code
