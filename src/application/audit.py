"""Who is writing, for the audit log: one context per request, job or command.

The HTTP layer opens an ``AuditContext`` once per request (IP, user agent, correlation id, actor
``anonymous``) and names the actor once authenticated (subject, role, tenant); jobs and the CLI
open their own (``system:job:<name>``, ``system:cli``). Use cases never pass it around: the unit of work's
``audit`` repository reads it when a write is recorded (``uow.audit.record(...)``), so the
audit row is written in the write's own transaction and commits or rolls back with it.

A write recorded with no context open (a test calling a use case directly, a script) is
recorded as ``system:unknown``: never lost, and easy to find.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import NamedTuple
from uuid import UUID

from domain.inventory import Hold

SYSTEM_ROLE = "system"  # the role column of rows written by jobs and commands (no person acted)


class AuditContext(NamedTuple):
    """Who acts, and from where: what every audit row of the block says besides the write.

    A named tuple rather than a frozen dataclass: one is made for every request, on the hot
    path too, and a tuple is made in a fraction of the time."""

    actor: str  # an ``Actor.subject`` ("key:<uuid>", "user:<uuid>") or "system:<what>"
    role: str
    tenant_id: UUID | None = None  # the tenant acted for; None for jobs and commands (they name it)
    ip: str | None = None
    user_agent: str | None = None
    correlation_id: str | None = None


UNKNOWN = AuditContext("system:unknown", SYSTEM_ROLE)
ANONYMOUS = "anonymous"  # a request before (or without) authentication


class _Cell:
    """One request's (or job's) context, shared by reference: what authentication learns in
    one task of the request (a dependency, a guard) reaches the writes of the others."""

    __slots__ = ("context",)

    def __init__(self, context: AuditContext) -> None:
        self.context = context


_current: ContextVar[_Cell | None] = ContextVar("holdfast_audit_context", default=None)


def current_audit_context() -> AuditContext:
    cell = _current.get()
    return UNKNOWN if cell is None else cell.context


class acting_as:
    """``with acting_as(context):`` every write recorded in the block is attributed to
    ``context``, or to what ``bind_audit_actor`` says later in the block. Reset on leaving, so
    a request served in its caller's task (as in tests) leaks nothing to the next one. A class,
    not a ``contextmanager`` generator: it wraps every request."""

    __slots__ = ("_context", "_token")

    def __init__(self, context: AuditContext) -> None:
        self._context = context

    def __enter__(self) -> None:
        self._token = _current.set(_Cell(self._context))

    def __exit__(self, *_exc: object) -> None:
        _current.reset(self._token)


def bind_audit_actor(actor: str, role: str, tenant_id: UUID | None) -> None:
    """The block's writes are made by ``actor`` (an authenticated request's); a no-op outside
    ``acting_as``."""
    cell = _current.get()
    if cell is not None:
        was = cell.context
        cell.context = AuditContext(actor, role, tenant_id, was.ip, was.user_agent, was.correlation_id)


def system_context(name: str, correlation_id: str | None = None) -> AuditContext:
    """A job's (``job:expire_holds``) or a command's (``cli``) context: ``system:<name>``."""
    return AuditContext(f"system:{name}", SYSTEM_ROLE, correlation_id=correlation_id)


def hold_summary(hold: Hold) -> dict[str, object]:
    """A hold as its ``hold.place`` audit row shows it (masked when recorded)."""
    lines = [{"pool_id": line.pool_id, "quantity": line.quantity} for line in hold.lines]
    return {
        "listing_id": hold.listing_id,
        "customer_ref": hold.customer_ref,
        "lines": lines,
        "expires_at": hold.expires_at,
    }
