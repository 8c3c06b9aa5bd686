"""The people of a tenant who sign in: staff (invited by an admin) and customers (who register).

Rules kept here, with no I/O:

* an email is unique per tenant whatever its case: it is kept lower-cased (``normalize_email``);
* a password is 10 to 200 characters (``check_password``); only its argon2id hash is kept;
* sign-in failures are counted per user (that is, per tenant and email): after
  ``MAX_FAILURES`` in a row the account is locked for ``LOCK_BASE``, and each further failure
  after a lock doubles it, up to ``LOCK_CAP``; a success clears the count;
* a staff member is invited with a single-use token (only its hash kept) that lasts
  ``INVITATION_LIFETIME``; accepting it sets the password;
* a disabled user cannot sign in or refresh a session.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from domain.errors import DomainError, InvalidValueError
from domain.identity import Actor
from domain.roles import Role
from domain.text import check_line

MIN_PASSWORD, MAX_PASSWORD = 10, 200
MAX_EMAIL = 254
MAX_NAME = 200
MAX_FAILURES = 5
LOCK_BASE = timedelta(minutes=1)
LOCK_CAP = timedelta(hours=1)
INVITATION_LIFETIME = timedelta(hours=72)
STAFF_ROLES = frozenset(Role) - {Role.CUSTOMER}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


class InvalidCredentialsError(DomainError):
    """The email, the password or both are wrong, or the account cannot sign in: one answer for
    every case, so it tells nobody which."""

    code = "invalid_credentials"

    def __init__(self) -> None:
        super().__init__("the email or password is wrong")


class LoginLockedError(DomainError):
    """Too many failed sign-ins in a row for this email: refused, even with the right password,
    for ``retry_after_seconds``."""

    code = "login_locked"

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"too many failed sign-ins; try again in {retry_after_seconds} s")
        self.retry_after_seconds = retry_after_seconds


class InvalidTokenError(DomainError):
    """A refresh or invitation token that is unknown, used up, revoked or expired."""

    code = "invalid_token"

    def __init__(self, what: str = "token") -> None:
        super().__init__(f"the {what} is not valid (unknown, used, revoked or expired)")


class WrongCurrentPasswordError(DomainError):
    """Changing a password needs the current one, and it was wrong."""

    code = "current_password_mismatch"

    def __init__(self) -> None:
        super().__init__("current_password is wrong")


class CustomerMismatchError(DomainError):
    """A customer acts for themself only: a ``customer_ref`` naming someone else is refused."""

    code = "customer_mismatch"

    def __init__(self) -> None:
        super().__init__("a customer's holds are their own: leave customer_ref out, or send your own")


def normalize_email(email: str) -> str:
    """The form an email is kept and compared in: trimmed, lower-cased."""
    value = email.strip().lower()
    if not 3 <= len(value) <= MAX_EMAIL or not _EMAIL.match(value):
        raise InvalidValueError("email", "must be an email address")
    return check_line("email", value)


def check_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidValueError("password", f"must be {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    return password


def check_name(name: str) -> str:
    if not name.strip() or len(name) > MAX_NAME:
        raise InvalidValueError("name", f"must be 1 to {MAX_NAME} characters")
    return check_line("name", name)


def customer_ref_of(actor: Actor) -> str | None:
    """The customer a customer actor is confined to (its subject, ``user:<id>``): its holds and
    bookings carry it as their ``customer_ref``. None for staff and API keys (the whole tenant)."""
    return actor.subject if actor.role is Role.CUSTOMER else None


@dataclass(slots=True)
class User:
    id: UUID
    tenant_id: UUID
    email: str
    name: str
    role: Role
    created_at: datetime
    password_hash: str | None = None  # None until an invitation is accepted
    disabled_at: datetime | None = None
    failed_logins: int = 0
    locked_until: datetime | None = None
    invitation_hash: str | None = None
    invitation_expires_at: datetime | None = None

    @classmethod
    def customer(cls, ident: UUID, tenant_id: UUID, email: str, name: str, password_hash: str, now: datetime) -> User:
        return cls(ident, tenant_id, normalize_email(email), check_name(name), Role.CUSTOMER, now, password_hash)

    @classmethod
    def invited(
        cls, ident: UUID, tenant_id: UUID, email: str, name: str, role: Role, invitation_hash: str, now: datetime
    ) -> User:
        if role not in STAFF_ROLES:
            raise InvalidValueError("role", f"must be one of {', '.join(sorted(STAFF_ROLES))}")
        email, name = normalize_email(email), check_name(name)
        return cls(
            ident, tenant_id, email, name, role, now, None, None, 0, None, invitation_hash, now + INVITATION_LIFETIME
        )

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def subject(self) -> str:
        return f"user:{self.id}"

    def can_sign_in(self) -> bool:
        return self.disabled_at is None and self.password_hash is not None

    def locked_for(self, now: datetime) -> timedelta | None:
        """How much longer sign-ins are refused, or None when they are not."""
        if self.locked_until is None or now >= self.locked_until:
            return None
        return self.locked_until - now

    def failed_login(self, now: datetime) -> None:
        """One more failure in a row; from the ``MAX_FAILURES``-th on, a lock that doubles."""
        self.failed_logins += 1
        if self.failed_logins >= MAX_FAILURES:
            doublings = min(self.failed_logins - MAX_FAILURES, 16)
            self.locked_until = now + min(LOCK_BASE * 2**doublings, LOCK_CAP)

    def signed_in(self) -> None:
        self.failed_logins, self.locked_until = 0, None

    def accept_invitation(self, password_hash: str, now: datetime) -> None:
        """Single use, before it expires, and only for a user still enabled."""
        expires = self.invitation_expires_at
        if self.invitation_hash is None or expires is None or now >= expires or self.disabled_at is not None:
            raise InvalidTokenError("invitation")
        self.password_hash, self.invitation_hash, self.invitation_expires_at = password_hash, None, None

    def change(self, name: str | None, password_hash: str | None) -> None:
        if name is not None:
            self.name = check_name(name)
        if password_hash is not None:
            self.password_hash = password_hash

    def disable(self, now: datetime) -> None:
        """Disabling twice keeps the first instant; a pending invitation dies with it."""
        if self.disabled_at is None:
            self.disabled_at = now
        self.invitation_hash = self.invitation_expires_at = None
