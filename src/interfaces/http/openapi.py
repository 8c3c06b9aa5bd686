"""OpenAPI entries for the problems a route can answer, so every error code is documented."""

from __future__ import annotations

from litestar.openapi.datastructures import ResponseSpec

from domain.errors import DomainError
from interfaces.http.errors import ERROR_STATUS, PROBLEM_JSON
from interfaces.http.schemas import ProblemOut

# Every authenticated /v1 route can answer these.
COMMON = ("validation_failed", "unauthenticated", "service_unavailable")
_EXTRA_STATUS = {"service_unavailable": 503, "internal_error": 500}


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


def known_codes() -> set[str]:
    return {cls.code for cls in ERROR_STATUS} | set(_EXTRA_STATUS) | {DomainError.code}
