"""OpenAPI entries for the problems a route can answer, so every error code is documented."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields, replace
from typing import Any

from litestar import Litestar
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIHeader, OpenAPIResponse, OpenAPIType, Operation, Parameter, Schema
from litestar.routes import HTTPRoute

from domain.errors import DomainError
from domain.permissions import Permission, roles_allowed
from interfaces.http.errors import ERROR_STATUS, PROBLEM_JSON
from interfaces.http.idempotency import MUTATING, idempotency_middleware
from interfaces.http.schemas import ProblemOut
from interfaces.http.text import END

# Every authenticated /v1 route can answer these.
COMMON = ("validation_failed", "unauthenticated", "invalid_access_token", "access_token_expired", "service_unavailable")
_EXTRA_STATUS = {"service_unavailable": 503, "internal_error": 500, "unsupported_media_type": 415}


def _status_of(code: str) -> int:
    if code in _EXTRA_STATUS:
        return _EXTRA_STATUS[code]
    for cls, status in ERROR_STATUS.items():
        if cls.code == code:
            return status
    raise ValueError(f"no error class has code {code!r}")


def problems(*codes: str) -> dict[int, ResponseSpec]:
    """Responses for ``codes`` (plus the common ones), grouped by status."""
    by_status: dict[int, list[str]] = {}
    for code in dict.fromkeys((*COMMON, *codes)):
        by_status.setdefault(_status_of(code), []).append(code)
    return {
        status: ResponseSpec(
            data_container=ProblemOut,
            description="problem+json with code " + " or ".join(f"`{code}`" for code in found),
            media_type=PROBLEM_JSON,
            generate_examples=False,
        )
        for status, found in sorted(by_status.items())
    }


# A hold on a listing in queue mode without a valid queue pass (403 each).
QUEUE_PASS_CODES = ("queue_pass_required", "queue_pass_invalid", "queue_pass_expired", "queue_pass_used_up")


def known_codes() -> set[str]:
    return {cls.code for cls in ERROR_STATUS} | set(_EXTRA_STATUS) | {DomainError.code}


# The Idempotency-Key header and its problems, on every mutating /v1 operation.
IDEMPOTENCY_CODES = ("invalid_idempotency_key", "idempotency_mismatch", "idempotency_in_progress")
_KEY = Parameter(
    name="Idempotency-Key",
    param_in="header",
    required=False,
    schema=Schema(type=OpenAPIType.STRING, min_length=1, max_length=255, pattern=rf"^[ -~]+{END}"),
    description=(
        "Makes a retry safe: the first request with a key runs; repeats of the same request for at "
        "least 24 hours get its stored response, byte for byte, with `Idempotent-Replayed: true`. "
        "1 to 255 printable ASCII characters, per API key's tenant."
    ),
)
_REPLAYED = OpenAPIHeader(
    schema=Schema(type=OpenAPIType.STRING, enum=["true"]),
    description="Present when this is the stored response of an earlier request with the same Idempotency-Key.",
)


def _served_operations(app: Litestar) -> Iterator[tuple[str, Any, Operation]]:
    """(method, route handler, operation) for each operation of the app's OpenAPI document: what
    the ``document_*`` passes below decide by (the middleware or hook a handler resolves)."""
    spec = app.openapi_schema
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path_format not in (spec.paths or {}):
            continue
        item = spec.paths[route.path_format]  # type: ignore[index]
        for method, (handler, _) in route.route_handler_map.items():
            operation = getattr(item, method.lower(), None)
            if operation is not None:
                yield method, handler, operation


def document_idempotency(app: Litestar) -> None:
    """Document the Idempotency-Key header and its problems on each operation the idempotency
    middleware serves: once, here, from where it is attached, rather than on each route."""
    for method, handler, operation in _served_operations(app):
        if method in MUTATING and idempotency_middleware in handler.resolve_middleware():
            _document(operation)


def _document(operation: Operation) -> None:
    operation.parameters = [*(operation.parameters or []), _KEY]
    responses = dict(operation.responses or {})
    for status, response in responses.items():
        if status.startswith("2") and isinstance(response, OpenAPIResponse):
            headers = {**(response.headers or {}), "Idempotent-Replayed": _REPLAYED}
            responses[status] = replace(response, headers=headers)
    for code in IDEMPOTENCY_CODES:
        responses[str(_status_of(code))] = _with_code(responses, str(_status_of(code)), code)
    operation.responses = dict(sorted(responses.items()))


def _with_code(responses: dict[str, Any], status: str, code: str) -> OpenAPIResponse:
    """The problem response at ``status`` naming ``code`` too; every /v1 operation has one to copy."""
    found = responses.get(status)
    if isinstance(found, OpenAPIResponse):
        return replace(found, description=f"{found.description} or `{code}`")
    problem = next(
        r for r in responses.values() if isinstance(r, OpenAPIResponse) and PROBLEM_JSON in (r.content or {})
    )
    return replace(problem, description=f"problem+json with code `{code}`")


def document_json_bodies(app: Litestar) -> None:
    """Every operation whose JSON body ``strict_body`` reads may answer 415
    ``unsupported_media_type`` (a body whose Content-Type is not JSON): documented once, here."""
    from interfaces.http.strict_body import strict_body  # it imports nothing of this module's

    for _method, handler, operation in _served_operations(app):
        if operation.request_body is not None and handler.resolve_before_request() is strict_body:
            responses = dict(operation.responses or {})
            responses["415"] = _with_code(responses, "415", "unsupported_media_type")
            operation.responses = dict(sorted(responses.items()))


@dataclass
class GuardedOperation(Operation):
    """An operation with who may call it, as OpenAPI extensions (``x-...``): the permission
    and the roles that have it (``domain.permissions``), the operator scope of /v1/ops, or
    ``x-public`` for a route that takes no credentials."""

    required_permission: str | None = field(default=None, metadata={"alias": "x-required-permission"})
    allowed_roles: list[str] | None = field(default=None, metadata={"alias": "x-allowed-roles"})
    required_scope: str | None = field(default=None, metadata={"alias": "x-required-scope"})
    public: bool | None = field(default=None, metadata={"alias": "x-public"})


def document_permissions(app: Litestar) -> None:
    """Who may call each /v1 operation, from the same declarations the middleware enforces
    (``interfaces.http.permissions``); an operation that needs a permission may answer 403."""
    from interfaces.http.permissions import OPERATOR, PUBLIC, route_permissions

    spec = app.openapi_schema
    for (method, path), needed in route_permissions(app).items():
        item = (spec.paths or {}).get(path)
        operation = getattr(item, method.lower(), None) if item is not None else None
        if operation is None:
            continue
        values = {f.name: getattr(operation, f.name) for f in fields(Operation)}
        if needed == PUBLIC:
            guarded = GuardedOperation(**values, public=True)
        elif needed == OPERATOR:
            guarded = GuardedOperation(**values, required_scope=OPERATOR, allowed_roles=[])
        else:
            roles = [role.value for role in roles_allowed(Permission(needed))]
            guarded = GuardedOperation(**values, required_permission=str(needed), allowed_roles=roles)
            responses = dict(guarded.responses or {})
            if "403" not in responses:
                responses["403"] = _with_code(responses, "403", "forbidden")
            guarded.responses = dict(sorted(responses.items()))
        setattr(item, method.lower(), guarded)


def _integer_header(description: str) -> OpenAPIHeader:
    return OpenAPIHeader(schema=Schema(type=OpenAPIType.INTEGER, minimum=0), description=description)


# The headers of every rate-limited operation's answers (README "Rate limits").
RATE_LIMIT_HEADERS = {
    "X-RateLimit-Limit": _integer_header("The request's tightest token bucket: its size (the burst)."),
    "X-RateLimit-Remaining": _integer_header("Whole tokens left in that bucket after this request."),
    "X-RateLimit-Reset": _integer_header("Seconds until that bucket is full again."),
}
_RETRY_AFTER = _integer_header("Seconds until every bucket that refused has a token again.")


def document_rate_limits(app: Litestar) -> None:
    """Every operation behind ``rate_limit_middleware`` may answer 429 ``rate_limited`` (with
    ``Retry-After``), and its successful answers carry ``X-RateLimit-*``: documented once, here."""
    from interfaces.http.rate_limits import rate_limit_middleware  # it imports nothing of this module's

    for _method, handler, operation in _served_operations(app):
        if rate_limit_middleware in handler.resolve_middleware():
            _document_rate_limits(operation)


def _document_rate_limits(operation: Operation) -> None:
    responses = dict(operation.responses or {})
    for status, response in responses.items():
        if status.startswith("2") and isinstance(response, OpenAPIResponse):
            responses[status] = replace(response, headers={**(response.headers or {}), **RATE_LIMIT_HEADERS})
    limited = _with_code(responses, "429", "rate_limited")
    headers = {**(limited.headers or {}), **RATE_LIMIT_HEADERS, "Retry-After": _RETRY_AFTER}
    responses["429"] = replace(limited, headers=headers)
    operation.responses = dict(sorted(responses.items()))
