"""The audit context of an HTTP request (``application.audit``): opened with the request's
correlation id, IP and user agent, then told the actor once authentication found it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from litestar.types import Scope

from application.audit import ANONYMOUS, AuditContext, acting_as, bind_audit_actor
from domain.identity import Actor
from domain.text import printable

_USER_AGENT = b"user-agent"


@contextmanager
def request_audit_context(scope: Scope, correlation: str) -> Iterator[None]:
    """Around one request: its writes are ``anonymous`` until ``bind_actor`` names who acts."""
    client = scope.get("client")
    agent = next((value for name, value in scope["headers"] if name == _USER_AGENT), None)
    context = AuditContext(
        ANONYMOUS,
        ANONYMOUS,
        ip=client[0] if client else None,
        # Client text: control characters escaped (a NUL would make the row unstorable).
        user_agent=printable(agent.decode("latin-1")) if agent is not None else None,
        correlation_id=correlation,
    )
    with acting_as(context):
        yield


def bind_actor(actor: Actor) -> None:
    bind_audit_actor(actor.subject, actor.role.value, actor.tenant.id)
