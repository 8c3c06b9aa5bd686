"""Domain events as CloudEvents 1.0 records: the shape the outbox stores and the relay sends.

``BookingConfirmed`` becomes type ``holdfast.booking.confirmed.v1`` with subject
``bookings/<aggregate id>``: the first word of the class name is the aggregate, the rest is what
happened to it. ``data`` holds the event's fields as JSON, UUIDs and datetimes as strings. A
change to an event's fields that breaks consumers calls for a new version suffix.
"""

from __future__ import annotations

import enum
import re
import sys
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from domain.events import DomainEvent

SOURCE = "/holdfast"
SPEC_VERSION = "1.0"
DATA_CONTENT_TYPE = "application/json"
VERSION = "v1"

_WORD = re.compile(r"[A-Z][a-z0-9]*")


def event_type(event: DomainEvent) -> str:
    return _type_of(type(event))


def known_event_types() -> frozenset[str]:
    """The type of every concrete event of the domain (a leaf of the hierarchy): what tenants may
    subscribe to. Only the domain's own: a subclass defined elsewhere in the process (a test's)
    is no event the service emits."""
    found, stack = set(), [DomainEvent]
    while stack:
        kinds = [kind for kind in stack.pop().__subclasses__() if _exported(kind) and _of_the_domain(kind)]
        stack += kinds
        found |= {_type_of(kind) for kind in kinds if not any(map(_exported, kind.__subclasses__()))}
    return frozenset(found)


def _of_the_domain(kind: type) -> bool:
    return kind.__module__.split(".", 1)[0] == "domain"


def _exported(kind: type) -> bool:
    """Whether its module names this very class: ``dataclass(slots=True)`` replaces a class with
    a copy, and the discarded original lingers among its base's subclasses."""
    return getattr(sys.modules.get(kind.__module__), kind.__name__, None) is kind


def _type_of(kind: type[DomainEvent]) -> str:
    aggregate, happened = _names(kind)
    return f"holdfast.{aggregate}.{happened}.{VERSION}"


def subject(event: DomainEvent) -> str:
    aggregate, _ = _names(type(event))
    return f"{aggregate}s/{event.aggregate_id}"


def event_time(event: DomainEvent) -> datetime:
    """When it happened: the event's ``at``; an event without one is stamped now."""
    at = getattr(event, "at", None)
    return at if isinstance(at, datetime) else datetime.now(UTC)


def event_data(event: DomainEvent) -> dict[str, Any]:
    return {field.name: _plain(getattr(event, field.name)) for field in fields(event)}


def outbox_record(event: DomainEvent, ident: UUID, sequence: int) -> dict[str, Any]:
    """The outbox row for ``event``, the ``sequence``-th of its aggregate."""
    return {
        "id": ident,
        "type": event_type(event),
        "source": SOURCE,
        "subject": subject(event),
        "time": event_time(event),
        "data": event_data(event),
        "tenant_id": event.tenant_id,
        "aggregate_id": event.aggregate_id,
        "sequence": sequence,
        "published_at": None,
    }


def structured(row: Any) -> dict[str, Any]:
    """An outbox row as a structured-mode CloudEvent; tenant and sequence are extensions."""
    return {
        "specversion": SPEC_VERSION,
        "id": str(row.id),
        "type": row.type,
        "source": row.source,
        "subject": row.subject,
        "time": row.time.isoformat(),
        "datacontenttype": DATA_CONTENT_TYPE,
        "data": row.data,
        "tenantid": str(row.tenant_id),
        "sequence": str(row.sequence),
    }


def _names(kind: type[DomainEvent]) -> tuple[str, str]:
    words = [word.lower() for word in _WORD.findall(kind.__name__)]
    if len(words) < 2:
        raise ValueError(f"{kind.__name__}: event names are <Aggregate><WhatHappened>")
    return words[0], "_".join(words[1:])


def _plain(value: Any) -> Any:
    """JSON-ready: UUIDs and datetimes as strings, enums as their values, containers walked."""
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return value
