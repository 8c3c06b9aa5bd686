"""A key rotated with a grace period: the old key keeps working until its deadline, then is
refused by every path (the hot path, the Litestar routes, the operator routes) in every process,
with no further message: the deadline travels with the cached key, and each read compares it
with the clock.

"A" is the ``world`` app; "B" is a second app instance over the same database (and Redis), as a
second ``holdfast serve`` process would be, where the rotation is made. Both share the fake clock.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import httpx
import pytest
from click.testing import CliRunner
from dependency_injector import providers

from application.errors import UnauthenticatedError
from application.use_cases.rotate_api_key import RotateApiKey
from infrastructure.container import Container, build_container, close_container
from infrastructure.settings import Settings
from interfaces.cli import main as holdfast_cli
from interfaces.http.app import create_app
from tests.e2e.conftest import Api, World
from tests.e2e.helpers import hold, make_listing
from tests.fakes.clock import FakeClock
from tests.integration.worker_stack import eventually

GRACE = timedelta(minutes=15)
HEARD_WITHIN_SECONDS = 10.0  # the pub/sub message, on the production profile; only a broken run waits it out


@pytest.fixture
async def other(world: World) -> AsyncIterator[Container]:
    """Process B's container (its own cache and connections), on A's clock."""
    settings = world.container.settings()
    container = build_container(settings)
    container.core.clock.override(providers.Object(world.clock))
    try:
        yield container
    finally:
        await close_container(container)


async def _status(api: Api, listing_id: str, pool: str, customer: str) -> dict[str, int]:
    """The key's answer on each path: the hot path, the Litestar hold route (an Idempotency-Key
    hands the request on to it), and a plain Litestar route."""
    body = {"listing_id": listing_id, "customer_ref": customer, "lines": [{"pool_id": pool, "quantity": 1}]}
    keyed = await api.post("/v1/holds", body, headers={"Idempotency-Key": str(uuid4())})
    return {
        "hot": (await hold(api, listing_id, {pool: 1}, customer=customer)).status_code,
        "route": keyed.status_code,
        "read": (await api.get(f"/v1/listings/{listing_id}")).status_code,
    }


async def _seen_by_a(world: World, new: Api) -> None:
    """Until A has reloaded its key directory after B's rotation (the new key is known there):
    the catalogue's own bound, a pub/sub message or a version check."""
    if world.container.settings().inventory_engine != "redis":
        world.clock.advance(world.container.settings().catalogue_check_seconds)

    async def served() -> bool:
        return int((await new.get("/v1/listings")).status_code) == 200

    await eventually(served, "the rotation heard by A", HEARD_WITHIN_SECONDS)


async def test_a_key_rotated_with_a_grace_period_works_until_its_deadline_then_nowhere(
    world: World, other: Container
) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 50, 0),))
    pool = pools["a"]
    if world.container.settings().inventory_engine == "redis":
        await world.container.gateways.catalogue().ready()  # A hears B's message
    assert await _status(world.api, listing_id, pool, "warm") == {"hot": 201, "route": 201, "read": 200}

    deadline = world.clock.now() + GRACE
    new_key = (await other.use_cases.rotate_api_key()(RotateApiKey(world.api.key, grace=GRACE))).key
    new = Api(world.client, new_key, world.clock)
    await _seen_by_a(world, new)

    ok = {"hot": 201, "route": 201, "read": 200}
    assert await _status(world.api, listing_id, pool, "before") == ok
    world.clock.advance((deadline - world.clock.now()).total_seconds() - 1)
    assert await _status(world.api, listing_id, pool, "just-before") == ok  # the directory as cached now

    # The deadline, within every cache's bound of that read (no reload): nothing is published,
    # every process ends the key on its own clock.
    world.clock.advance(1)
    refused = {"hot": 401, "route": 401, "read": 401}
    assert await _status(world.api, listing_id, pool, "after") == refused
    assert await _status(new, listing_id, pool, "new") == ok
    b = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(other.settings(), other)), base_url="http://b")
    async with b:
        assert (await b.get(f"/v1/listings/{listing_id}", headers={"X-API-Key": world.api.key})).status_code == 401
        assert (await b.get(f"/v1/listings/{listing_id}", headers={"X-API-Key": new_key})).status_code == 200


async def test_an_operator_key_rotated_with_a_grace_period_ends_at_its_deadline(world: World, operator: Api) -> None:
    assert (await operator.get("/v1/ops/version")).status_code == 200
    rotate = world.container.use_cases.rotate_api_key()
    new = Api(world.client, (await rotate(RotateApiKey(operator.key, grace=GRACE))).key, world.clock)

    world.clock.advance((GRACE - timedelta(seconds=1)).total_seconds())
    assert (await operator.get("/v1/ops/version")).status_code == 200
    world.clock.advance(1)
    assert (await operator.get("/v1/ops/version")).status_code == 401
    assert (await new.get("/v1/ops/version")).status_code == 200


async def test_revoking_a_key_in_its_grace_period_ends_it_at_once(world: World) -> None:
    listing_id, _ = await make_listing(world.api)
    await world.container.use_cases.rotate_api_key()(RotateApiKey(world.api.key, grace=GRACE))
    assert (await world.api.get(f"/v1/listings/{listing_id}")).status_code == 200

    await world.container.use_cases.revoke_api_key()(world.api.key)

    assert (await world.api.get(f"/v1/listings/{listing_id}")).status_code == 401


async def test_rotating_again_never_lengthens_a_grace_period(world: World) -> None:
    rotate = world.container.use_cases.rotate_api_key()
    await rotate(RotateApiKey(world.api.key, grace=timedelta(minutes=1)))
    await rotate(RotateApiKey(world.api.key, grace=timedelta(hours=1)))  # still active: it may be rotated

    world.clock.advance(60)
    assert (await world.api.get("/v1/listings")).status_code == 401


# --- the command: `holdfast rotate-key --grace` ---------------------------------------------


async def _authenticates_at(database_url: str, key: str, at: datetime) -> bool:
    """Whether ``key`` authenticates on a fresh process whose clock reads ``at``."""
    container = build_container(Settings(database_url=database_url))
    container.core.clock.override(providers.Object(FakeClock(at)))
    try:
        await container.use_cases.authenticate()(key)
    except UnauthenticatedError:
        return False
    finally:
        await close_container(container)
    return True


def _new_tenant_key(env: dict[str, str]) -> str:
    created = CliRunner().invoke(holdfast_cli, ["create-tenant", "acme"], env=env)
    assert created.exit_code == 0, created.output
    return created.output.rsplit("(shown once): ", 1)[1].strip()


def test_rotate_key_with_a_grace_leaves_the_old_key_working_until_the_deadline_it_prints(sqlite_url: str) -> None:
    env = {"HOLDFAST_DATABASE_URL": sqlite_url}
    old = _new_tenant_key(env)
    began = datetime.now(UTC).replace(microsecond=0)

    rotated = CliRunner().invoke(holdfast_cli, ["rotate-key", "--grace", "15m"], env=env, input=f"{old}\n")

    assert rotated.exit_code == 0, rotated.output
    new = rotated.output.rsplit("(shown once): ", 1)[1].split(";", 1)[0].strip()
    found = re.search(r"the old key works until (\S+), then stops by itself", rotated.output)
    assert found is not None, rotated.output
    deadline = datetime.fromisoformat(found[1])
    assert began + timedelta(minutes=15) <= deadline <= datetime.now(UTC) + timedelta(minutes=15)
    just_before = deadline - timedelta(seconds=1)  # printed to the second: the end is within it
    assert asyncio.run(_authenticates_at(sqlite_url, old, just_before))
    assert not asyncio.run(_authenticates_at(sqlite_url, old, deadline + timedelta(seconds=1)))
    assert asyncio.run(_authenticates_at(sqlite_url, new, deadline + timedelta(seconds=1)))


@pytest.mark.parametrize(
    "args",
    [["--grace", "15x"], ["--grace", "-5m"], ["--grace", ""], ["--grace", "91d"], ["--grace", "1h", "--keep-old"]],
)
def test_a_bad_grace_is_one_line_exit_2_and_changes_nothing(sqlite_url: str, args: list[str]) -> None:
    env = {"HOLDFAST_DATABASE_URL": sqlite_url}
    old = _new_tenant_key(env)

    refused = CliRunner().invoke(holdfast_cli, ["rotate-key", *args], env=env, input=f"{old}\n")

    assert refused.exit_code == 2, refused.output
    assert "shown once" not in refused.output
    [line] = refused.stderr.splitlines()
    assert line.startswith("holdfast: ")
    assert "grace" in line
    assert asyncio.run(_authenticates_at(sqlite_url, old, datetime.now(UTC) + timedelta(days=365)))  # not rotated
