"""The one translation from exceptions to problem+json responses.

``ERROR_STATUS`` maps every domain error class to its HTTP status; it is looked up along the
exception's class hierarchy, and a test checks that every domain error class is listed.
"""

from __future__ import annotations

import socket
from typing import Any

import asyncpg.exceptions
import sqlalchemy.exc
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from loguru import logger
from redis import exceptions as redis_errors

from application.errors import (
    ForbiddenError,
    IdempotencyInProgressError,
    IdempotencyMismatchError,
    InvalidIdempotencyKeyError,
    InventoryUnavailableError,
    RateLimitedError,
    UnauthenticatedError,
)
from application.ports.rate_limits import RateDecision
from domain.booking_changes import BookingNotChangeableError, ChangeInProgressError, NothingToChangeError
from domain.errors import (
    CapacityBelowCommittedError,
    ConflictError,
    CustomerLimitExceededError,
    DomainError,
    DuplicateError,
    HoldExpiredError,
    HoldMismatchError,
    HoldNotActiveError,
    InsufficientInventoryError,
    InvalidTransitionError,
    InvalidValueError,
    NotFoundError,
    NothingToRefundError,
    PaymentDeclinedError,
    PaymentProviderUnavailableError,
    RefundExceedsCapturedError,
    WebhookSignatureError,
)
from domain.listings import ListingArchivedError, PoolArchivedError, TooManyPoolsError
from domain.outgoing_webhooks import InvalidWebhookUrlError, TooManyWebhookEndpointsError, UnknownEventTypeError
from domain.pricing import SeasonsOverlapError
from domain.quotes import QuoteExpiredError
from domain.seat_maps import NotAFlightError, SeatMapInUseError
from domain.sessions import AccessTokenExpiredError, AccessTokenInvalidError
from domain.stays import (
    BlockExceedsUnitsError,
    BlockUnitsTakenError,
    CheckInDayNotAllowedError,
    CheckOutDayNotAllowedError,
    NightsBlockedError,
    NightsNotOnSaleError,
    NotAStayPropertyError,
    StayInPastError,
    StayRuleError,
    StayTooLongError,
    StayTooShortError,
)
from domain.tenants import CustomerKeyError
from domain.text import printable
from domain.users import (
    CustomerMismatchError,
    InvalidCredentialsError,
    InvalidTokenError,
    LoginLockedError,
    WrongCurrentPasswordError,
)
from domain.waiting_room import (
    QueueNotEnabledError,
    QueuePassExpiredError,
    QueuePassInvalidError,
    QueuePassRequiredError,
    QueuePassUsedUpError,
)
from interfaces.http.text import PATTERN_MESSAGES

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = 5

ERROR_STATUS: dict[type[DomainError], int] = {
    DomainError: 400,
    InvalidValueError: 400,
    UnauthenticatedError: 401,
    InvalidIdempotencyKeyError: 400,
    IdempotencyMismatchError: 422,
    IdempotencyInProgressError: 409,
    ForbiddenError: 403,
    RateLimitedError: 429,
    NotFoundError: 404,
    ConflictError: 409,
    DuplicateError: 409,
    InsufficientInventoryError: 409,
    CustomerLimitExceededError: 409,
    HoldExpiredError: 409,
    HoldNotActiveError: 409,
    HoldMismatchError: 409,
    InvalidTransitionError: 409,
    CapacityBelowCommittedError: 409,
    RefundExceedsCapturedError: 409,
    NothingToRefundError: 409,
    PaymentDeclinedError: 402,
    PaymentProviderUnavailableError: 503,
    InventoryUnavailableError: 503,
    WebhookSignatureError: 400,
    InvalidWebhookUrlError: 400,
    UnknownEventTypeError: 400,
    TooManyPoolsError: 409,
    NotAFlightError: 409,
    SeatMapInUseError: 409,
    ListingArchivedError: 409,
    PoolArchivedError: 409,
    TooManyWebhookEndpointsError: 409,
    CustomerKeyError: 422,
    QueueNotEnabledError: 409,
    QueuePassRequiredError: 403,
    QueuePassInvalidError: 403,
    QueuePassExpiredError: 403,
    QueuePassUsedUpError: 403,
    # Sign-in (domain.users, domain.sessions).
    InvalidCredentialsError: 401,
    LoginLockedError: 429,
    InvalidTokenError: 401,
    AccessTokenInvalidError: 401,
    AccessTokenExpiredError: 401,
    WrongCurrentPasswordError: 403,
    CustomerMismatchError: 403,
    # Stays (domain.stays): the wrong kind of listing, or a stay that breaks a rule / meets a block.
    NotAStayPropertyError: 409,
    StayRuleError: 422,
    StayInPastError: 422,
    StayTooShortError: 422,
    StayTooLongError: 422,
    CheckInDayNotAllowedError: 422,
    CheckOutDayNotAllowedError: 422,
    NightsBlockedError: 409,
    NightsNotOnSaleError: 409,
    BlockUnitsTakenError: 409,
    BlockExceedsUnitsError: 409,
    # Prices and quotes (domain.pricing, domain.quotes).
    SeasonsOverlapError: 400,
    QuoteExpiredError: 409,
    # Booking changes (domain.booking_changes).
    BookingNotChangeableError: 409,
    ChangeInProgressError: 409,
    NothingToChangeError: 409,
}

HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}

# Failures of a dependency (database, Redis) rather than of the request: answered 503.
DEPENDENCY_ERRORS: tuple[type[BaseException], ...] = (
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
    redis_errors.BusyLoadingError,
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.TimeoutError,
    ConnectionError,
    TimeoutError,
)

# What the Postgres driver raises when the server went away, is shutting down or starting up, or
# has no connection left. SQLAlchemy wraps most of these in a plain ``DBAPIError``, so the wrapped
# chain is searched too (see ``is_dependency_failure``).
DATABASE_GONE: tuple[type[BaseException], ...] = (
    asyncpg.exceptions.PostgresConnectionError,  # class 08: connection lost or never made
    asyncpg.exceptions.OperatorInterventionError,  # class 57: admin or crash shutdown, starting up
    asyncpg.exceptions.TooManyConnectionsError,
)


def is_dependency_failure(exc: BaseException) -> bool:
    """A dependency (database, Redis) failed rather than the request: answered 503."""
    if isinstance(exc, DEPENDENCY_ERRORS + DATABASE_GONE) or _lost_socket(exc):
        return True
    if isinstance(exc, sqlalchemy.exc.DBAPIError):
        causes = _causes(exc.orig)
        return exc.connection_invalidated or any(isinstance(c, DATABASE_GONE) or _lost_socket(c) for c in causes)
    return False


def _lost_socket(exc: BaseException) -> bool:
    """The socket under a driver failed: reset, broken pipe, unreachable, or every address of a
    host refused (asyncio's plain ``OSError("Multiple exceptions: ...")``); not a missing file."""
    return isinstance(exc, ConnectionError | TimeoutError | socket.gaierror) or type(exc) is OSError


def _causes(exc: BaseException | None) -> list[BaseException]:
    chain: list[BaseException] = []
    while exc is not None and exc not in chain:
        chain.append(exc)
        exc = exc.__cause__
    return chain


def status_for(exc: DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in ERROR_STATUS:
            return ERROR_STATUS[cls]  # type: ignore[index]
    return 500


def answered_status(exc: BaseException) -> int:
    """The status the exception handlers below answer ``exc`` with, for middleware that sees the
    exception pass by before it is answered (access log, metrics)."""
    if isinstance(exc, DomainError):
        return status_for(exc)
    if isinstance(exc, HTTPException):
        return exc.status_code if exc.status_code < 500 else 500
    return 503 if is_dependency_failure(exc) else 500


def correlation_of(request: Request[Any, Any, Any]) -> str:
    return str(request.scope.get("state", {}).get("correlation_id", "-"))


def problem_body(
    status: int, code: str, detail: str, correlation_id: str, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The problem+json document every error answer carries (RFC 9457, plus ``code`` and
    ``correlation_id``); also rendered by the hold hot path, which must answer alike."""
    return {
        "type": f"urn:holdfast:problem:{code}",
        "title": code.replace("_", " ").capitalize(),
        "status": status,
        "detail": detail,
        "code": code,
        "correlation_id": correlation_id,
        **(extra or {}),
    }


def problem(
    request: Request[Any, Any, Any],
    status: int,
    code: str,
    detail: str,
    *,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    correlation_id = correlation_of(request)
    return Response(
        content=problem_body(status, code, detail, correlation_id, extra),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers={"X-Correlation-ID": correlation_id, **(headers or {})},
    )


def _extra(exc: DomainError) -> dict[str, Any]:
    if isinstance(exc, InsufficientInventoryError):
        return {"pools": [{"pool_id": str(pool), "available": left} for pool, left in exc.short.items()]}
    if isinstance(exc, CustomerLimitExceededError):
        return {"limit": exc.limit, "already_held": exc.already, "requested": exc.asked}
    if isinstance(exc, InvalidValueError):
        return {"errors": [{"field": exc.field, "message": exc.message}]}
    if isinstance(exc, ForbiddenError) and exc.required is not None:
        return {"required_permission": exc.required}
    if isinstance(exc, LoginLockedError):
        return {"retry_after_seconds": exc.retry_after_seconds}
    if isinstance(exc, NightsBlockedError | NightsNotOnSaleError | BlockUnitsTakenError | BlockExceedsUnitsError):
        return {"nights": [night.isoformat() for night in exc.nights]}
    return {}


def rate_limit_headers(decision: RateDecision) -> dict[str, str]:
    """What every rate-limited answer tells (README "Rate limits"): the tightest bucket's size,
    whole tokens left and seconds until full; refused, also when to retry."""
    headers = {
        "X-RateLimit-Limit": str(decision.limit),
        "X-RateLimit-Remaining": str(decision.remaining),
        "X-RateLimit-Reset": str(decision.reset_seconds),
    }
    if not decision.allowed:
        headers["Retry-After"] = str(decision.retry_after_seconds)
    return headers


def domain_problem(exc: DomainError, correlation_id: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    """A domain error's status, problem body and headers: one answer, however it is rendered."""
    status = status_for(exc)
    headers = {"X-Correlation-ID": correlation_id}
    if status == 503:
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    if isinstance(exc, RateLimitedError):
        headers.update(rate_limit_headers(exc.decision))
    if isinstance(exc, LoginLockedError):
        headers["Retry-After"] = str(exc.retry_after_seconds)
    return status, problem_body(status, exc.code, exc.message, correlation_id, _extra(exc)), headers


def domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[dict[str, Any]]:
    status, body, headers = domain_problem(exc, correlation_of(request))
    return Response(content=body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def validation_error(request: Request[Any, Any, Any], exc: ValidationException) -> Response[dict[str, Any]]:
    errors = [
        {
            "field": printable(str(item.get("key", ""))),
            "message": _readable(str(item.get("message", ""))),
            "source": str(getattr(item.get("source"), "value", item.get("source", ""))),
        }
        for item in (exc.extra if isinstance(exc.extra, list) else [])
        if isinstance(item, dict)
    ]
    detail = printable(exc.detail or "the request is not valid")  # Litestar's names the path, as sent
    return problem(request, 400, "validation_failed", detail, extra={"errors": errors})


def _readable(message: str) -> str:
    """msgspec's "Expected `str` matching regex '...'" in words, for the patterns of ``text``."""
    for pattern, words in PATTERN_MESSAGES.items():
        if repr(pattern) in message:
            return words
    return printable(message)


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    code = HTTP_CODES.get(exc.status_code, "http_error")
    if exc.status_code >= 500:
        return unexpected_error(request, exc)
    return problem(request, exc.status_code, code, exc.detail, headers=exc.headers)


def unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    if is_dependency_failure(exc):
        logger.warning("dependency unavailable: {}: {}", type(exc).__name__, exc)
        detail = "a service this request needs is unavailable; retry later"
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        return problem(request, 503, "service_unavailable", detail, headers=headers)
    logger.opt(exception=exc).error("unexpected error on {} {}", request.method, request.url.path)
    return problem(request, 500, "internal_error", "an unexpected error occurred; it has been logged")


EXCEPTION_HANDLERS: dict[type[Exception], Any] = {
    DomainError: domain_error,
    ValidationException: validation_error,
    HTTPException: http_error,
    Exception: unexpected_error,
}
