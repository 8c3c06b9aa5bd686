"""The audit context of an HTTP request (``application.audit``): opened with the request's
correlation id, IP and user agent, then told the actor once authentication found it."""

from __future__ import annotations

from litestar.types import Scope

from application.audit import ANONYMOUS, AuditContext, acting_as, bind_audit_actor
from domain.identity import Actor
from domain.text import printable

_USER_AGENT = b"user-agent"


def request_audit_context(scope: Scope, correlation: str) -> acting_as:
    """Around one request (``with``): its writes are ``anonymous`` until ``bind_actor`` names
    who acts."""
    client = scope.get("client")
    agent = None
    for name, value in scope["headers"]:
        if name == _USER_AGENT:
            agent = value.decode("latin-1")
            if not agent.isprintable():  # client text: control characters escaped (a NUL is unstorable)
                agent = printable(agent)
            break
    return acting_as(AuditContext(ANONYMOUS, ANONYMOUS, None, client[0] if client else None, agent, correlation))


def bind_actor(actor: Actor) -> None:
    bind_audit_actor(actor.subject, actor.role.value, actor.tenant.id)
