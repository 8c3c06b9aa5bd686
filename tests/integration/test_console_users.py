"""`holdfast create-user`: how an operator gets a console user; and who the console admits
(``ConsoleSignInHandler``): the operators' tenant's admins, no one else."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from application.errors import ForbiddenError
from application.use_cases.identity.console import ConsoleSignIn, CreateUser
from application.use_cases.identity.login import Login
from application.use_cases.register_tenant import RegisterTenant
from domain.roles import Role
from domain.users import InvalidCredentialsError
from infrastructure.container import build_container, close_container
from infrastructure.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a long console password"


def test_create_user_makes_an_admin_who_signs_in_to_the_console(sqlite_url: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HOLDFAST_DATABASE_URL": sqlite_url}

    def holdfast(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "interfaces.cli", *args]
        return subprocess.run(command, env=env, input=f"{PASSWORD}\n{PASSWORD}\n", capture_output=True, text=True,
                              timeout=120, check=False)  # fmt: skip

    assert holdfast("create-tenant", "operator").returncode == 0
    missing = holdfast("create-user", "nobody", "ada@ops.example")
    made = holdfast("create-user", "operator", "ada@ops.example", "--role", "admin")
    assert missing.returncode == 2
    assert "tenant nobody not found" in missing.stderr
    assert made.returncode == 0, made.stderr
    assert "ada@ops.example, admin" in made.stdout


async def test_the_console_admits_only_the_operators_tenants_admins(sqlite_url: str) -> None:
    container = build_container(Settings(database_url=sqlite_url))
    try:
        register, create = container.use_cases.register_tenant(), container.use_cases.create_user()
        await register(RegisterTenant("operator"))
        await register(RegisterTenant("acme"))
        await create(CreateUser("operator", "ada@ops.example", "Ada", Role.ADMIN, PASSWORD))
        await create(CreateUser("operator", "max@ops.example", "Max", Role.MANAGER, PASSWORD))
        await create(CreateUser("acme", "eve@acme.example", "Eve", Role.ADMIN, PASSWORD))
        sign_in = container.use_cases.console_sign_in()

        session = await sign_in(ConsoleSignIn("ada@ops.example", PASSWORD))
        assert sign_in.admits(await container.use_cases.authenticate()(None, session.access_token))
        with pytest.raises(ForbiddenError):
            await sign_in(ConsoleSignIn("max@ops.example", PASSWORD))
        with pytest.raises(InvalidCredentialsError):  # another tenant's admin is not a console user
            await sign_in(ConsoleSignIn("eve@acme.example", PASSWORD))
        acme = await _tenant_id(container, "acme")
        eve = await container.use_cases.login()(Login(acme, "eve@acme.example", PASSWORD))
        assert not sign_in.admits(await container.use_cases.authenticate()(None, eve.access_token))
    finally:
        await close_container(container)


async def _tenant_id(container: Any, name: str) -> UUID:
    async with container.gateways.uow() as uow:
        tenant = await uow.tenants.find_by_name(name)
    assert tenant is not None
    return tenant.id
