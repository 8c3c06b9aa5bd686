"""Users and sign-in over HTTP, on both profiles: registration, login, the session's tokens
(expiry, rotation, reuse detection, logout, key rotation), staff invitations, lockout."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from dependency_injector import providers
from loguru import logger

from infrastructure.identity.jwt_tokens import PyJwtAccessTokens
from tests.e2e.conftest import World
from tests.e2e.identity_helpers import (
    PASSWORD,
    cheap_hashing,
    customer,
    login,
    person,
    refresh,
    staff,
    tenant_id,
)

LIFETIME = timedelta(minutes=15)
OLD_SECRET = "o" * 40
NEW_SECRET = "n" * 40


@pytest.fixture(autouse=True)
def _cheap(world: World) -> None:
    cheap_hashing(world)


def _problem(response: object, status: int, code: str) -> None:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
    assert response.json()["code"] == code  # type: ignore[attr-defined]


async def test_register_login_read_and_change_me(world: World) -> None:
    tenant = await tenant_id(world)
    ada = await customer(world, "Ada@Example.com", tenant)
    me = await ada.get("/v1/auth/me")
    assert me.status_code == 200, me.text
    assert (me.json()["email"], me.json()["role"], me.json()["tenant_id"]) == ("ada@example.com", "customer", tenant)
    again = {"tenant_id": tenant, "email": "ADA@example.com", "password": PASSWORD, "name": "Other"}
    _problem(await world.client.post("/v1/auth/register", json=again), 409, "already_exists")

    renamed = await ada.patch("/v1/auth/me", {"name": "Ada L."})
    assert (renamed.status_code, renamed.json()["name"]) == (200, "Ada L.")
    wrong = await ada.patch("/v1/auth/me", {"password": "a new password!", "current_password": "not it at all"})
    _problem(wrong, 403, "current_password_mismatch")
    changed = await ada.patch("/v1/auth/me", {"password": "a new password!", "current_password": PASSWORD})
    assert changed.status_code == 200, changed.text
    _problem(await login(world, tenant, "ada@example.com"), 401, "invalid_credentials")
    assert (await login(world, tenant, "ada@example.com", "a new password!")).status_code == 200
    # A new password ends the sessions signed in before it.
    _problem(await refresh(world, ada.refresh), 401, "invalid_token")


async def test_bad_registrations_change_nothing(world: World) -> None:
    tenant = await tenant_id(world)
    short = {"tenant_id": tenant, "email": "bo@example.com", "password": "short", "name": "Bo"}
    _problem(await world.client.post("/v1/auth/register", json=short), 400, "validation_failed")
    nowhere = {**short, "password": PASSWORD, "tenant_id": "00000000-0000-4000-8000-000000000000"}
    _problem(await world.client.post("/v1/auth/register", json=nowhere), 404, "not_found")
    _problem(await login(world, tenant, "bo@example.com"), 401, "invalid_credentials")


async def test_an_api_key_has_no_me(world: World) -> None:
    _problem(await world.api.get("/v1/auth/me"), 403, "forbidden")


async def test_wrong_password_and_unknown_email_get_the_same_answer(world: World) -> None:
    tenant = await tenant_id(world)
    await customer(world, "ada@example.com", tenant)
    wrong = await login(world, tenant, "ada@example.com", "not the password")
    unknown = await login(world, tenant, "nobody@example.com")
    other_tenant = await login(world, await tenant_id(world, world.other.key), "ada@example.com")
    for response in (wrong, unknown, other_tenant):
        _problem(response, 401, "invalid_credentials")
    assert wrong.json()["detail"] == unknown.json()["detail"] == other_tenant.json()["detail"]


async def test_repeated_failures_lock_the_email_for_a_doubling_while(world: World) -> None:
    tenant = await tenant_id(world)
    await customer(world, "ada@example.com", tenant)
    for _ in range(5):
        _problem(await login(world, tenant, "ada@example.com", "guess guess guess"), 401, "invalid_credentials")
    locked = await login(world, tenant, "ada@example.com")  # even the right password
    _problem(locked, 429, "login_locked")
    assert locked.headers["Retry-After"] == "60"

    world.clock.advance(61)  # the lock is over; one more failure locks it for twice as long
    _problem(await login(world, tenant, "ada@example.com", "guess guess guess"), 401, "invalid_credentials")
    locked = await login(world, tenant, "ada@example.com")
    _problem(locked, 429, "login_locked")
    assert locked.headers["Retry-After"] == "120"

    world.clock.advance(121)
    assert (await login(world, tenant, "ada@example.com")).status_code == 200
    # The success cleared the count: one failure is not a lock.
    _problem(await login(world, tenant, "ada@example.com", "guess guess guess"), 401, "invalid_credentials")
    assert (await login(world, tenant, "ada@example.com")).status_code == 200


async def test_refresh_rotates_and_the_used_token_is_spent(world: World) -> None:
    ada = await customer(world, "ada@example.com")
    renewed = await refresh(world, ada.refresh)
    assert renewed.status_code == 200, renewed.text
    body = renewed.json()
    assert body["refresh_token"] != ada.refresh
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert (await person(world, body).get("/v1/auth/me")).status_code == 200
    again = await refresh(world, body["refresh_token"])
    assert again.status_code == 200, again.text


async def test_reusing_a_rotated_token_revokes_its_whole_family(world: World) -> None:
    events: list[dict[str, str]] = []
    sink = logger.add(lambda message: events.append(message.record["extra"]), level="WARNING")
    try:
        ada = await customer(world, "ada@example.com")
        newest = (await refresh(world, ada.refresh)).json()["refresh_token"]
        _problem(await refresh(world, ada.refresh), 401, "invalid_token")  # the stolen copy
    finally:
        logger.remove(sink)
    _problem(await refresh(world, newest), 401, "invalid_token")  # the family is over
    reuse = [e for e in events if e.get("event") == "security.refresh_token_reuse"]
    assert len(reuse) == 1
    assert (reuse[0]["user_id"], reuse[0]["tenant_id"]) == (ada.id, await tenant_id(world))
    # Another sign-in is another family, unaffected.
    assert (await login(world, await tenant_id(world), "ada@example.com")).status_code == 200


async def test_logout_ends_the_family(world: World) -> None:
    ada = await customer(world, "ada@example.com")
    newest = (await refresh(world, ada.refresh)).json()["refresh_token"]
    out = await world.client.post("/v1/auth/logout", json={"refresh_token": ada.refresh})
    assert out.status_code == 204
    _problem(await refresh(world, newest), 401, "invalid_token")
    assert (await world.client.post("/v1/auth/logout", json={"refresh_token": newest})).status_code == 204
    assert (await world.client.post("/v1/auth/logout", json={"refresh_token": "hfr_unknown"})).status_code == 204


async def test_an_expired_access_token_is_refused_and_refreshed(world: World) -> None:
    ada = await customer(world, "ada@example.com")
    world.clock.advance(15 * 60 - 1)
    assert (await ada.get("/v1/auth/me")).status_code == 200
    world.clock.advance(1)
    _problem(await ada.get("/v1/auth/me"), 401, "access_token_expired")
    renewed = await refresh(world, ada.refresh)
    assert (await person(world, renewed.json()).get("/v1/auth/me")).status_code == 200
    world.clock.advance(7 * 24 * 3600)  # the refresh token's week is over too
    _problem(await refresh(world, renewed.json()["refresh_token"]), 401, "invalid_token")


async def test_an_invalid_bearer_token_is_401_before_the_body_is_read(world: World) -> None:
    headers = {"Authorization": "Bearer not.a.jwt", "Content-Type": "application/json"}
    response = await world.client.post("/v1/listings", content=b"{not json", headers=headers)
    _problem(response, 401, "invalid_access_token")
    hold = await world.client.post("/v1/holds", content=b"{}", headers=headers)
    _problem(hold, 401, "invalid_access_token")


async def test_keys_rotate_by_kid(world: World) -> None:
    """A token signed with an old key still listed verifies; once the key is dropped it fails."""
    ada = await customer(world, "ada@example.com")
    gateways = world.container.gateways
    old = PyJwtAccessTokens((("old", OLD_SECRET),), LIFETIME)
    gateways.access_tokens.override(providers.Object(old))
    signed_old = person(world, (await refresh(world, ada.refresh)).json())
    rotated = PyJwtAccessTokens((("new", NEW_SECRET), ("old", OLD_SECRET)), LIFETIME)
    gateways.access_tokens.override(providers.Object(rotated))
    assert (await signed_old.get("/v1/auth/me")).status_code == 200
    signed_new = person(world, (await refresh(world, signed_old.refresh)).json())
    assert (await signed_new.get("/v1/auth/me")).status_code == 200
    gateways.access_tokens.override(providers.Object(PyJwtAccessTokens((("new", NEW_SECRET),), LIFETIME)))
    _problem(await signed_old.get("/v1/auth/me"), 401, "invalid_access_token")
    assert (await signed_new.get("/v1/auth/me")).status_code == 200


async def test_staff_are_invited_once_and_accept_to_sign_in(world: World) -> None:
    invited = await world.api.post("/v1/staff", {"email": "Sam@Example.com", "name": "Sam", "role": "manager"})
    assert invited.status_code == 201, invited.text
    token = invited.json()["invitation_token"]
    assert invited.json()["user"]["invitation_pending"] is True
    tenant = await tenant_id(world)
    _problem(await login(world, tenant, "sam@example.com"), 401, "invalid_credentials")  # not accepted yet
    accepted = await world.client.post("/v1/auth/accept-invitation", json={"token": token, "password": PASSWORD})
    assert accepted.status_code == 200, accepted.text
    sam = person(world, accepted.json())
    me = (await sam.get("/v1/auth/me")).json()
    assert (me["role"], me["invitation_pending"]) == ("manager", False)
    twice = await world.client.post("/v1/auth/accept-invitation", json={"token": token, "password": PASSWORD})
    _problem(twice, 401, "invalid_token")
    assert (await login(world, tenant, "sam@example.com")).status_code == 200


async def test_an_invitation_lasts_72_hours(world: World) -> None:
    invited = await world.api.post("/v1/staff", {"email": "late@example.com", "name": "Late", "role": "staff"})
    world.clock.advance(72 * 3600)
    body = {"token": invited.json()["invitation_token"], "password": PASSWORD}
    _problem(await world.client.post("/v1/auth/accept-invitation", json=body), 401, "invalid_token")


async def test_bad_invitations_change_nothing(world: World) -> None:
    _problem(
        await world.api.post("/v1/staff", {"email": "c@example.com", "name": "C", "role": "customer"}),
        400,
        "validation_failed",
    )
    await world.api.post("/v1/staff", {"email": "dup@example.com", "name": "D", "role": "staff"})
    _problem(
        await world.api.post("/v1/staff", {"email": "DUP@example.com", "name": "D", "role": "owner"}),
        409,
        "already_exists",
    )
    listed = await world.api.get("/v1/staff")
    assert [u["email"] for u in listed.json()["items"]] == ["dup@example.com"]


async def test_staff_are_listed_a_page_at_a_time_and_only_their_tenants(world: World) -> None:
    for n in range(3):
        await world.api.post("/v1/staff", {"email": f"s{n}@example.com", "name": f"S{n}", "role": "staff"})
        world.clock.advance(1)
    await customer(world, "ada@example.com")  # customers are not staff
    first = await world.api.get("/v1/staff", params={"limit": 2})
    assert [u["email"] for u in first.json()["items"]] == ["s0@example.com", "s1@example.com"]
    second = await world.api.get("/v1/staff", params={"limit": 2, "cursor": first.json()["next_cursor"]})
    assert ([u["email"] for u in second.json()["items"]], second.json()["next_cursor"]) == (["s2@example.com"], None)
    assert (await world.other.get("/v1/staff")).json()["items"] == []


async def test_disabled_staff_cannot_sign_in_or_refresh(world: World) -> None:
    sam = await staff(world, "sam@example.com")
    second_device = (await login(world, await tenant_id(world), "sam@example.com")).json()["refresh_token"]
    _problem(await world.other.delete(f"/v1/staff/{sam.id}"), 404, "not_found")  # another tenant's key
    disabled = await world.api.delete(f"/v1/staff/{sam.id}")
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["disabled_at"] is not None
    for token in (sam.refresh, second_device):
        _problem(await refresh(world, token), 401, "invalid_token")
    _problem(await login(world, await tenant_id(world), "sam@example.com"), 401, "invalid_credentials")
    assert (await world.api.delete(f"/v1/staff/{sam.id}")).status_code == 200  # twice is harmless
    ada = await customer(world, "ada@example.com")
    _problem(await world.api.delete(f"/v1/staff/{ada.id}"), 404, "not_found")  # a customer is not staff


async def test_two_refreshes_racing_with_one_token_are_reuse(world: World) -> None:
    """Exactly one wins the token (an atomic use), and the other is reuse: the family ends, the
    winner's new token with it. A client must not refresh one token twice at once."""
    ada = await customer(world, "ada@example.com")
    answers = await asyncio.gather(refresh(world, ada.refresh), refresh(world, ada.refresh))
    assert sorted(a.status_code for a in answers) == [200, 401]
    winner = next(a for a in answers if a.status_code == 200).json()
    _problem(await refresh(world, winner["refresh_token"]), 401, "invalid_token")


async def test_refresh_tokens_are_purged_only_once_expired_for_the_retention_period(world: World) -> None:
    ada = await customer(world, "ada@example.com")
    await refresh(world, ada.refresh)  # one used, one active: both kept while they could be shown
    purge = world.container.use_cases.purge_old_records()
    world.clock.advance(7 * 24 * 3600 + 29 * 24 * 3600)  # expired, but not yet for 30 days
    assert (await purge())["refresh_tokens"] == 0
    world.clock.advance(2 * 24 * 3600)
    assert (await purge())["refresh_tokens"] == 2
