"""``/v1/api-keys``: an admin makes keys in a role (shown once), lists and reads them without
secrets, and revokes them; an expiry ends a key at its instant on every path and process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from uuid import uuid4

import httpx
import pytest
from click.testing import CliRunner
from dependency_injector import providers

from application.use_cases.rotate_api_key import RotateApiKey
from domain.roles import Role
from infrastructure.container import Container, build_container, close_container
from infrastructure.settings import Settings
from interfaces.cli import main as holdfast_cli
from interfaces.http.app import create_app
from tests.e2e.conftest import Api, World
from tests.e2e.helpers import hold, make_listing
from tests.e2e.keys import key_for
from tests.integration.worker_stack import eventually

HEARD_WITHIN_SECONDS = 10.0  # the pub/sub message, on the production profile; only a broken run waits it out


async def _listed(api: Api) -> list[dict[str, object]]:
    response = await api.get("/v1/api-keys")
    assert response.status_code == 200, response.text
    items: list[dict[str, object]] = response.json()["items"]
    return items


async def test_a_key_is_made_in_a_role_shown_once_listed_without_secret_and_revoked(world: World) -> None:
    made = await world.api.post("/v1/api-keys", {"label": "till 3", "role": "staff"})

    assert made.status_code == 201, made.text
    body = made.json()
    assert set(body) == {"id", "label", "role", "created_at", "expires_at", "ends_at", "key"}
    assert (body["label"], body["role"], body["expires_at"]) == ("till 3", "staff", None)
    assert made.headers["location"] == f"/v1/api-keys/{body['id']}"
    staff = Api(world.client, body["key"], world.clock)
    assert (await staff.get("/v1/listings")).status_code == 200
    assert (await staff.get("/v1/api-keys")).status_code == 403  # staff cannot manage keys

    shown = (await world.api.get(f"/v1/api-keys/{body['id']}")).json()
    assert shown == {k: v for k, v in body.items() if k != "key"}
    listed = await _listed(world.api)
    assert shown in listed
    assert len(listed) == 2  # with the tenant's first key
    assert all("key" not in item and "key_hash" not in item for item in listed)
    assert body["key"] not in (await world.api.get("/v1/api-keys")).text

    revoked = await world.api.delete(f"/v1/api-keys/{body['id']}")
    assert (revoked.status_code, revoked.content) == (204, b"")
    assert (await staff.get("/v1/listings")).status_code == 401
    again = await world.api.delete(f"/v1/api-keys/{body['id']}")
    assert (again.status_code, again.json()["code"]) == (404, "not_found")
    assert (await world.api.get(f"/v1/api-keys/{body['id']}")).status_code == 404
    assert body["id"] not in [item["id"] for item in await _listed(world.api)]


async def test_a_customer_key_is_refused_with_its_own_code_and_nothing_is_made(world: World) -> None:
    before = await _listed(world.api)

    refused = await world.api.post("/v1/api-keys", {"label": "shop", "role": "customer"})

    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "customer_key_not_allowed"
    assert await _listed(world.api) == before


@pytest.mark.parametrize(
    "body",
    [
        {"label": "x", "role": "operator"},
        {"label": "", "role": "admin"},
        {"label": "x", "expires_at": "2020-01-01T00:00:00Z"},
        {"label": "x", "expires_at": "2999-01-01T00:00:00"},  # no offset: whose midnight?
        {"label": "x", "scopes": ["operator"]},
    ],
)
async def test_bad_key_requests_are_400_and_make_nothing(world: World, body: dict[str, object]) -> None:
    before = await _listed(world.api)

    refused = await world.api.post("/v1/api-keys", body)

    assert (refused.status_code, refused.json()["code"]) == (400, "validation_failed"), refused.text
    assert await _listed(world.api) == before


async def test_another_tenants_and_operator_keys_are_never_seen_nor_revoked(world: World, operator: Api) -> None:
    theirs = (await world.other.post("/v1/api-keys", {"label": "theirs"})).json()["id"]
    ops_keys = await _listed(operator)  # an operator key is an admin key of its tenant "ops"...
    assert [key["label"] for key in ops_keys] == ["default"]  # ...but not listed: scoped keys are ops' business

    assert (await world.api.get(f"/v1/api-keys/{theirs}")).status_code == 404
    assert (await world.api.delete(f"/v1/api-keys/{theirs}")).status_code == 404
    assert theirs in [item["id"] for item in await _listed(world.other)]
    operator_key_id = (await world.container.use_cases.authenticate()(operator.key)).subject.removeprefix("key:")
    assert (await operator.get(f"/v1/api-keys/{operator_key_id}")).status_code == 404
    assert (await operator.delete(f"/v1/api-keys/{operator_key_id}")).status_code == 404
    assert (await operator.get("/v1/ops/version")).status_code == 200


async def test_an_expiry_ends_the_key_at_its_instant_on_every_path_with_no_message(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 50, 0),))
    ends = world.clock.now() + timedelta(hours=1)
    made = await world.api.post("/v1/api-keys", {"label": "gig", "role": "staff", "expires_at": ends.isoformat()})
    assert made.status_code == 201, made.text
    assert made.json()["expires_at"] == ends.isoformat().replace("+00:00", "Z")
    staff = Api(world.client, made.json()["key"], world.clock)

    async def answers() -> tuple[int, int, int]:
        body = {"listing_id": listing_id, "customer_ref": "c", "lines": [{"pool_id": pools["a"], "quantity": 1}]}
        keyed = {"Idempotency-Key": str(uuid4())}  # handed on to the Litestar route
        return (
            (await staff.post("/v1/holds", body)).status_code,
            (await staff.post("/v1/holds", body, headers=keyed)).status_code,
            (await staff.get(f"/v1/listings/{listing_id}")).status_code,
        )

    world.clock.advance(3599)
    assert await answers() == (201, 201, 200)
    world.clock.advance(1)
    assert await answers() == (401, 401, 401)
    assert made.json()["id"] not in [item["id"] for item in await _listed(world.api)]


async def test_a_rotated_key_keeps_its_role_and_its_expiry(world: World) -> None:
    ends = world.clock.now() + timedelta(hours=1)
    accountant = await key_for(world, world.api, Role.ACCOUNTANT, ends)

    rotated = await world.container.use_cases.rotate_api_key()(RotateApiKey(accountant.key))

    new = Api(world.client, rotated.key, world.clock)
    assert (await new.get("/v1/ledger/accounts")).status_code == 200
    assert (await new.post("/v1/listings", {"kind": "event_show", "name": "x"})).status_code == 403
    world.clock.advance(3600)
    assert (await new.get("/v1/ledger/accounts")).status_code == 401


# --- revocation seen by another process -----------------------------------------------------


@pytest.fixture
async def other_process(world: World) -> AsyncIterator[Container]:
    """A second API process's container (its own catalogue cache and connections), on the same
    database, Redis and clock."""
    container = build_container(world.container.settings())
    container.core.clock.override(providers.Object(world.clock))
    try:
        yield container
    finally:
        await close_container(container)


async def test_a_revoked_key_is_refused_by_every_process_within_the_catalogue_bound(
    world: World, other_process: Container
) -> None:
    settings = world.container.settings()
    listing_id, pools = await make_listing(world.api, (("a", 50, 0),))
    made = (await world.api.post("/v1/api-keys", {"label": "till", "role": "staff"})).json()
    b_app = create_app(settings, other_process)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=b_app), base_url="http://b") as b_client:
        staff_b = Api(b_client, made["key"], world.clock)
        if settings.inventory_engine == "redis":
            await other_process.gateways.catalogue().ready()  # B hears A's messages
        assert (await hold(staff_b, listing_id, {pools["a"]: 1})).status_code == 201  # B has cached the key
        assert (await staff_b.get("/v1/listings")).status_code == 200

        assert (await world.api.delete(f"/v1/api-keys/{made['id']}")).status_code == 204  # in process A

        if settings.inventory_engine != "redis":  # the sql cache checks the catalogue version this often
            world.clock.advance(settings.catalogue_check_seconds)

        async def refused_by_b() -> bool:
            return int((await staff_b.get("/v1/listings")).status_code) == 401

        await eventually(refused_by_b, "the revocation heard by B", HEARD_WITHIN_SECONDS)
        assert (await hold(staff_b, listing_id, {pools["a"]: 1})).status_code == 401  # the hot path too


# --- the command line: `holdfast issue-key --role`, `rotate-key` says the role ---------------


async def _role_of(database_url: str, key: str) -> Role:
    container = build_container(Settings(database_url=database_url))
    try:
        return (await container.use_cases.authenticate()(key)).role
    finally:
        await close_container(container)


def test_issue_key_makes_a_key_in_the_role_asked_and_rotate_key_keeps_and_says_it(sqlite_url: str) -> None:
    env = {"HOLDFAST_DATABASE_URL": sqlite_url}
    assert CliRunner().invoke(holdfast_cli, ["create-tenant", "acme"], env=env).exit_code == 0

    issued = CliRunner().invoke(holdfast_cli, ["issue-key", "acme", "--role", "staff", "--label", "till"], env=env)

    assert issued.exit_code == 0, issued.output
    key = issued.output.rsplit("(shown once): ", 1)[1].strip()
    assert asyncio.run(_role_of(sqlite_url, key)) is Role.STAFF
    rotated = CliRunner().invoke(holdfast_cli, ["rotate-key", "--key", key], env=env)
    assert rotated.exit_code == 0, rotated.output
    assert "role staff" in rotated.output
    new = rotated.output.rsplit("(shown once): ", 1)[1].split(";", 1)[0].strip()
    assert asyncio.run(_role_of(sqlite_url, new)) is Role.STAFF


def test_issue_key_defaults_to_admin_and_refuses_a_customer_key(sqlite_url: str) -> None:
    env = {"HOLDFAST_DATABASE_URL": sqlite_url}
    assert CliRunner().invoke(holdfast_cli, ["create-tenant", "acme"], env=env).exit_code == 0

    admin = CliRunner().invoke(holdfast_cli, ["issue-key", "acme"], env=env)
    customer = CliRunner().invoke(holdfast_cli, ["issue-key", "acme", "--role", "customer"], env=env)

    assert admin.exit_code == 0, admin.output
    assert asyncio.run(_role_of(sqlite_url, admin.output.rsplit("(shown once): ", 1)[1].strip())) is Role.ADMIN
    assert customer.exit_code == 2
    assert "shown once" not in customer.output
