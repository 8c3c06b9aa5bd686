"""/v1/ops diagnostics: the running build and its setup, for operator keys only."""

from __future__ import annotations

import pytest
from dependency_injector import providers

from infrastructure.diagnostics import BuildInfo
from tests.e2e.conftest import Api, World

VERSION = "/v1/ops/version"
ENV_SANITY = "/v1/ops/env-sanity"


@pytest.mark.parametrize("path", [VERSION, ENV_SANITY])
async def test_only_operator_keys_get_in(world: World, operator: Api, path: str) -> None:
    tenant = await world.api.get(path)
    assert tenant.status_code == 403
    assert tenant.json()["code"] == "forbidden"
    allowed = await operator.get(path)
    assert allowed.status_code == 200, allowed.text


async def test_the_version_names_the_build_and_the_migrations(operator: Api) -> None:
    body = (await operator.get(VERSION)).json()

    assert set(body) == {"version", "commit", "migration_head", "database_revision", "python"}
    assert all(body[name] for name in ("version", "commit", "python", "migration_head"))
    assert body["migration_head"] == body["database_revision"]


async def test_env_sanity_checks_the_dependencies_and_masks_the_secrets(world: World, operator: Api) -> None:
    response = await operator.get(ENV_SANITY)
    body = response.json()

    assert response.status_code == 200, response.text
    assert (body["status"], body["warnings"]) == ("ok", [])
    assert body["dependencies"]["database"] == "ok"
    settings = world.container.settings()
    if settings.redis_url is not None:
        assert body["dependencies"]["redis"] == "ok"
    assert body["migrations"]["at_head"] is True
    assert body["settings"]["inventory_engine"] == settings.inventory_engine


async def test_env_sanity_warns_when_the_database_is_behind(world: World, operator: Api) -> None:
    ahead = BuildInfo("0.0.0", "abc123", "9999_future", "3.11")
    world.container.core.build_info.override(providers.Object(ahead))
    try:
        body = (await operator.get(ENV_SANITY)).json()
    finally:
        world.container.core.build_info.reset_override()

    assert body["status"] == "degraded"
    assert body["migrations"]["at_head"] is False
    assert any("not at the migration head 9999_future" in warning for warning in body["warnings"])


async def test_the_diagnostics_are_documented(world: World) -> None:
    spec = (await world.client.get("/schema/openapi.json")).json()
    for path in (VERSION, ENV_SANITY):
        assert "403" in spec["paths"][path]["get"]["responses"]
