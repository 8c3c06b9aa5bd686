"""The ``holdfast`` command: serve, migrate, load demo data, manage tenants, sweep holds.

Thin by design: each command resolves what it needs from the same container as the API.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from infrastructure import migrations
from infrastructure.settings import Settings, SettingsError

if TYPE_CHECKING:
    from infrastructure.container import Container

T = TypeVar("T")


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        click.echo(f"holdfast: bad setting: {exc}", err=True)
        sys.exit(2)


def _run(work: Callable[[Container], Awaitable[T]]) -> T:
    from infrastructure.container import build_container, close_container

    async def main() -> T:
        container = build_container(_settings())
        try:
            return await work(container)
        finally:
            await close_container(container)

    return asyncio.run(main())


@click.group()
def main() -> None:
    """Holdfast: holds that never oversell."""


@main.command()
@click.option("--revision", default="head", show_default=True)
def migrate(revision: str) -> None:
    """Upgrade the database schema."""
    migrations.upgrade(_settings().database_url, revision)
    click.echo(f"database at {revision}")


@main.command()
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Downgrade the database schema to REVISION (e.g. -1 or base)."""
    migrations.downgrade(_settings().database_url, revision)
    click.echo(f"database at {revision}")


@main.command("seed-demo")
def seed_demo() -> None:
    """Load the demo tenant, a show, a flight and a property (once)."""
    from interfaces.demo import load_demo

    key, created = _run(load_demo)
    click.echo(("demo data loaded" if created else "demo data already present") + f"; demo API key: {key}")


@main.command("create-tenant")
@click.argument("name")
def create_tenant(name: str) -> None:
    """Register a tenant and print its API key (shown once)."""
    from application.use_cases.register_tenant import RegisterTenant

    async def work(container: Container) -> Any:
        return await container.use_cases.register_tenant()(RegisterTenant(name))

    registered = _run(work)
    click.echo(f"tenant {registered.tenant.id} created; API key (shown once): {registered.api_key}")


@main.command("create-operator-key")
@click.argument("tenant_name")
def create_operator_key(tenant_name: str) -> None:
    """Issue an operator key (for /v1/ops) to an existing tenant and print it (shown once)."""
    from application.use_cases.authorize_operator import OPERATOR_SCOPE
    from application.use_cases.issue_api_key import IssueApiKey
    from domain.errors import DomainError

    command = IssueApiKey(tenant_name, label="operator", scopes=(OPERATOR_SCOPE,))

    async def work(container: Container) -> str:
        return await container.use_cases.issue_api_key()(command)

    try:
        key = _run(work)
    except DomainError as exc:
        click.echo(f"holdfast: {exc.message}", err=True)
        sys.exit(1)
    click.echo(f"operator key for {tenant_name!r} (shown once): {key}")


@main.command("expire-holds")
def expire_holds() -> None:
    """Expire due holds once, returning their units."""

    async def work(container: Container) -> int:
        return len(await container.use_cases.expire_holds()())

    click.echo(f"expired {_run(work)} holds")


@main.command("purge-idempotency")
def purge_idempotency() -> None:
    """Delete idempotency records older than HOLDFAST_IDEMPOTENCY_TTL_HOURS (their keys become reusable)."""

    async def work(container: Container) -> int:
        return int(await container.use_cases.purge_idempotency_keys()())

    click.echo(f"purged {_run(work)} idempotency records")


@main.command()
def serve() -> None:
    """Serve the API at HOLDFAST_HOST:HOLDFAST_PORT."""
    import uvicorn

    settings = _settings()
    click.echo(f"Holdfast listening on http://{settings.host}:{settings.port} (docs: /schema)")
    uvicorn.run(
        "interfaces.http.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        access_log=False,
        log_config=None,
    )


if __name__ == "__main__":
    main()
