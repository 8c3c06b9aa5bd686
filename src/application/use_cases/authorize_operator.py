"""Let only operator keys through to the operations endpoints (/v1/ops)."""

from __future__ import annotations

from application.errors import ForbiddenError, UnauthenticatedError
from application.ports.clock import Clock
from application.ports.repositories import Principal, UnitOfWorkFactory
from application.use_cases.authenticate import MAX_KEY_LENGTH
from application.use_cases.register_tenant import hash_key

OPERATOR_SCOPE = "operator"


class AuthorizeOperatorHandler:
    """An active key with the "operator" scope passes; an unknown key is unauthenticated, and a
    plain tenant key is forbidden (it is known, it just may not do this). A key rotated with a
    grace period passes until its deadline, on this clock."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(self, api_key: str | None) -> Principal:
        if not api_key or len(api_key) > MAX_KEY_LENGTH:
            raise UnauthenticatedError("a valid X-API-Key header is required")
        async with self._uow() as uow:
            principal = await uow.api_keys.principal_for_key(hash_key(api_key), self._clock.now())
        if principal is None:
            raise UnauthenticatedError("a valid X-API-Key header is required")
        if OPERATOR_SCOPE not in principal.scopes:
            raise ForbiddenError("this API key is not an operator key")
        return principal
