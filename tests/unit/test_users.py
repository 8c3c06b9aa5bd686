"""The sign-in rules of the domain: emails, passwords, lockout, invitations, refresh states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.errors import InvalidValueError
from domain.identity import Actor
from domain.roles import Role
from domain.sessions import RefreshState, RefreshToken
from domain.tenants import Tenant
from domain.users import (
    INVITATION_LIFETIME,
    InvalidTokenError,
    User,
    check_password,
    customer_ref_of,
    normalize_email,
)

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def _customer() -> User:
    return User.customer(uuid4(), uuid4(), "Ada@Example.COM ", "Ada", "argon2-hash", NOW)


def test_emails_are_kept_lower_cased_and_must_look_like_one() -> None:
    assert normalize_email("  Ada@Example.COM ") == "ada@example.com"
    for bad in ("ada", "a@b@c", "ada @example.com", "a\x00@example.com", "x" * 250 + "@ex.com"):
        with pytest.raises(InvalidValueError):
            normalize_email(bad)


@pytest.mark.parametrize(("length", "valid"), [(9, False), (10, True), (200, True), (201, False)])
def test_passwords_are_10_to_200_characters(length: int, valid: bool) -> None:
    if valid:
        assert check_password("p" * length)
    else:
        with pytest.raises(InvalidValueError):
            check_password("p" * length)


def test_five_failures_lock_for_a_minute_and_each_further_one_doubles_it_up_to_an_hour() -> None:
    user = _customer()
    for _ in range(4):
        user.failed_login(NOW)
    assert user.locked_for(NOW) is None
    locks = []
    for _ in range(10):
        user.failed_login(NOW)
        locks.append(user.locked_for(NOW))
    minutes = [lock.total_seconds() / 60 for lock in locks if lock is not None]
    assert minutes == [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]
    assert user.locked_for(NOW + timedelta(hours=1)) is None  # a lock ends on its own
    user.signed_in()
    assert (user.failed_logins, user.locked_until) == (0, None)


def test_an_invitation_is_single_use_and_lasts_72_hours() -> None:
    invited = User.invited(uuid4(), uuid4(), "sam@example.com", "Sam", Role.MANAGER, "hash", NOW)
    assert not invited.can_sign_in()
    with pytest.raises(InvalidTokenError):
        invited.accept_invitation("pw-hash", NOW + INVITATION_LIFETIME)
    invited.accept_invitation("pw-hash", NOW + INVITATION_LIFETIME - timedelta(seconds=1))
    assert invited.can_sign_in()
    with pytest.raises(InvalidTokenError):
        invited.accept_invitation("pw-hash", NOW)


def test_staff_cannot_be_invited_as_customers_and_a_disabled_user_cannot_sign_in() -> None:
    with pytest.raises(InvalidValueError):
        User.invited(uuid4(), uuid4(), "c@example.com", "C", Role.CUSTOMER, "hash", NOW)
    user = _customer()
    user.disable(NOW)
    user.disable(NOW + timedelta(days=1))
    assert (user.can_sign_in(), user.disabled_at) == (False, NOW)


def test_a_customer_actor_is_confined_to_its_own_customer_ref() -> None:
    tenant = Tenant(uuid4(), "acme", NOW)
    user_id = uuid4()
    customer = Actor(tenant, Role.CUSTOMER, f"user:{user_id}", user_id)
    assert customer_ref_of(customer) == f"user:{user_id}"
    assert customer_ref_of(Actor(tenant, Role.STAFF, f"user:{user_id}", user_id)) is None
    assert customer_ref_of(Actor.of_key(tenant, uuid4(), Role.ADMIN)) is None


def test_a_refresh_token_is_active_until_used_revoked_or_expired() -> None:
    token = RefreshToken(uuid4(), uuid4(), uuid4(), uuid4(), "h", NOW, NOW + timedelta(days=7))
    assert token.state(NOW) is RefreshState.ACTIVE
    assert token.state(NOW + timedelta(days=7)) is RefreshState.EXPIRED
    used = RefreshToken(
        *[getattr(token, f) for f in ("id", "family_id", "user_id", "tenant_id", "token_hash")],
        NOW,
        token.expires_at,
        NOW,
    )
    assert used.state(NOW) is RefreshState.USED
