"""The audit context of an HTTP request (``application.audit``): opened with the request's
correlation id, IP and user agent, then told the actor once authentication found it."""

from __future__ import annotations

from litestar.types import Scope

from application.audit import ANONYMOUS, AuditContext, acting_as, bind_audit_actor
from domain.identity import Actor
from domain.text import printable
from interfaces.http.client_address import Network, client_ip

_USER_AGENT = b"user-agent"


def request_audit_context(scope: Scope, correlation: str, trusted: tuple[Network, ...]) -> acting_as:
    """Around one request (``with``): its writes are ``anonymous`` until ``bind_actor`` names
    who acts. The IP is the client's as the rate limits find it (behind a trusted proxy, from
    its ``X-Forwarded-For``), never the proxy's."""
    agent = None
    for name, value in scope["headers"]:
        if name == _USER_AGENT:
            agent = value.decode("latin-1")
            if not agent.isprintable():  # client text: control characters escaped (a NUL is unstorable)
                agent = printable(agent)
            break
    return acting_as(AuditContext(ANONYMOUS, ANONYMOUS, None, client_ip(scope, trusted), agent, correlation))


def bind_actor(actor: Actor) -> None:
    bind_audit_actor(actor.subject, actor.role.value, actor.tenant.id)
