"""What each role may do: the permission matrix, in this one place.

Every /v1 route names the one permission it needs (``opt={"permission": ...}``, checked at
start-up); a request whose actor's role lacks it is refused (403 ``forbidden``) before its body is
read. The matrix below is published in the README ("Roles and API keys") and, per operation, in
OpenAPI (``x-required-permission``, ``x-allowed-roles``).

Why each role has what it has:

* ``admin`` is every permission, computed from the enum: a permission added later is the
  admin's at once, and no admin key is locked out of a new route;
* ``manager`` runs the business (catalogue, holds, bookings with refunds, the ledger, outgoing
  webhooks) but never grants access: no ``api_keys:manage``, ``staff:manage`` or ``audit:read``,
  so a manager cannot make a key or a user stronger than itself, nor read who did what to them;
* ``staff`` works the counter: reads the catalogue, places and releases holds, books and cancels;
  no refunds (money leaves the business: a manager's or an accountant's call), no ledger;
* ``owner`` (a property or event owner) reads the catalogue, and what is sold and the money of
  the listings it owns, through the routes ``reports:read`` opens (``/v1/owner/...``,
  ``/v1/reports/sales``), which are scoped to them; it changes nothing. It has none of the
  tenant-wide reads (holds, bookings, the ledger): those would show it every other owner's;
* ``accountant`` reads, refunds, audits and reads the sales reports; it cannot cancel (cancelling frees units, an
  operational decision) nor place holds;
* ``customer`` books for itself (its own holds and bookings only: a customer's token binds them);
  it never reads the ledger or another customer's bookings.

``self`` (one's own profile, e.g. ``GET /v1/auth/me``) is every role's.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from domain.roles import Role


class Permission(StrEnum):
    CATALOGUE_READ = "catalogue:read"  # listings, pools, availability
    CATALOGUE_WRITE = "catalogue:write"  # create listings and pools, resize pools
    HOLDS_PLACE = "holds:place"
    HOLDS_READ = "holds:read"
    HOLDS_RELEASE = "holds:release"
    BOOKINGS_CREATE = "bookings:create"
    BOOKINGS_READ = "bookings:read"  # a booking, its history, refunds and disputes
    BOOKINGS_CANCEL = "bookings:cancel"
    BOOKINGS_REFUND = "bookings:refund"
    BOOKINGS_CHANGE = "bookings:change"  # move a booking to other seats, dates or a flight
    LEDGER_READ = "ledger:read"
    WEBHOOKS_MANAGE = "webhooks:manage"  # outgoing webhook endpoints and their deliveries
    API_KEYS_MANAGE = "api_keys:manage"
    STAFF_MANAGE = "staff:manage"
    AUDIT_READ = "audit:read"
    QUEUE_JOIN = "queue:join"
    REPORTS_READ = "reports:read"  # sales reports and the owner's read API
    SELF = "self"  # one's own profile: any authenticated actor


_P = Permission
_CATALOGUE = frozenset({_P.CATALOGUE_READ, _P.CATALOGUE_WRITE})
_HOLDS = frozenset({_P.HOLDS_PLACE, _P.HOLDS_READ, _P.HOLDS_RELEASE})
_BOOKINGS = frozenset(
    {_P.BOOKINGS_CREATE, _P.BOOKINGS_READ, _P.BOOKINGS_CANCEL, _P.BOOKINGS_REFUND, _P.BOOKINGS_CHANGE}
)

MATRIX: Mapping[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.MANAGER: _CATALOGUE | _HOLDS | _BOOKINGS | {_P.LEDGER_READ, _P.WEBHOOKS_MANAGE, _P.QUEUE_JOIN, _P.SELF},
    Role.STAFF: _HOLDS
    | {
        _P.CATALOGUE_READ,
        _P.BOOKINGS_CREATE,
        _P.BOOKINGS_READ,
        _P.BOOKINGS_CANCEL,
        _P.BOOKINGS_CHANGE,
        _P.QUEUE_JOIN,
        _P.SELF,
    },
    Role.OWNER: frozenset({_P.CATALOGUE_READ, _P.REPORTS_READ, _P.SELF}),
    Role.ACCOUNTANT: frozenset(
        {
            _P.CATALOGUE_READ,
            _P.HOLDS_READ,
            _P.BOOKINGS_READ,
            _P.BOOKINGS_REFUND,
            _P.LEDGER_READ,
            _P.AUDIT_READ,
            _P.REPORTS_READ,
            _P.SELF,
        }
    ),
    Role.CUSTOMER: frozenset(
        {
            _P.CATALOGUE_READ,
            _P.HOLDS_PLACE,
            _P.HOLDS_READ,
            _P.HOLDS_RELEASE,
            _P.BOOKINGS_CREATE,
            _P.BOOKINGS_READ,
            _P.BOOKINGS_CANCEL,
            _P.BOOKINGS_CHANGE,
            _P.QUEUE_JOIN,
            _P.SELF,
        }
    ),
}


def allows(role: Role, permission: Permission) -> bool:
    """Whether ``role`` has ``permission`` (a set lookup: cheap enough for the hot path)."""
    return permission in MATRIX[role]


def roles_allowed(permission: Permission) -> tuple[Role, ...]:
    """The roles that have ``permission``, in the order ``Role`` lists them (for the docs)."""
    return tuple(role for role in Role if permission in MATRIX[role])
