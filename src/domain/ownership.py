"""Who owns which listings: the ``owner`` role reads what is sold of its own listings only.

An owner is named by the subject it acts as (``domain.identity.Actor.subject``): ``user:<id>``
for a signed-in user, ``key:<id>`` for an API key. A listing may have several owners and an
owner several listings; admins and managers (``catalogue:write``) say which.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.errors import InvalidValueError

SUBJECT_KINDS = ("user", "key")


@dataclass(frozen=True, slots=True)
class OwnerSubject:
    """``user:<uuid>`` or ``key:<uuid>``, written in one canonical form."""

    kind: str
    id: UUID

    def __post_init__(self) -> None:
        if self.kind not in SUBJECT_KINDS:
            raise InvalidValueError("subject", "must be user:<id> or key:<id>")

    @classmethod
    def parse(cls, text: str) -> OwnerSubject:
        kind, _, ident = text.partition(":")
        try:
            return cls(kind, UUID(ident))
        except ValueError:
            raise InvalidValueError("subject", "must be user:<id> or key:<id>") from None

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True, slots=True)
class ListingOwner:
    """One owner of one listing, since when."""

    tenant_id: UUID
    listing_id: UUID
    subject: OwnerSubject
    created_at: datetime
