"""The matrix as published (README, OpenAPI) is the one in ``domain.permissions``."""

from __future__ import annotations

from pathlib import Path

from domain.permissions import MATRIX, Permission, allows, roles_allowed
from domain.roles import Role

README = Path(__file__).resolve().parents[2] / "README.md"
# The names clients see (OpenAPI x-required-permission, 403 required_permission): renaming one
# breaks them, so a change here must be deliberate.
PUBLISHED_NAMES = (
    "catalogue:read catalogue:write holds:place holds:read holds:release bookings:create bookings:read "
    "bookings:cancel bookings:refund bookings:change ledger:read webhooks:manage api_keys:manage staff:manage "
    "audit:read queue:join reports:read self"
)


def test_the_permission_names_are_the_published_ones() -> None:
    assert [p.value for p in Permission] == PUBLISHED_NAMES.split()


def test_admin_has_every_permission_and_every_role_has_self() -> None:
    assert MATRIX[Role.ADMIN] == frozenset(Permission)
    assert all(allows(role, Permission.SELF) for role in Role)
    assert set(MATRIX) == set(Role)


def test_only_admins_grant_access() -> None:
    assert roles_allowed(Permission.API_KEYS_MANAGE) == (Role.ADMIN,)
    assert roles_allowed(Permission.STAFF_MANAGE) == (Role.ADMIN,)
    assert roles_allowed(Permission.AUDIT_READ) == (Role.ADMIN, Role.ACCOUNTANT)


def test_the_readme_publishes_the_matrix_as_it_is() -> None:
    section = README.read_text().split("## Roles and API keys", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    header = next(line for line in section.splitlines() if line.startswith("| permission |"))
    roles = [Role(cell.strip()) for cell in header.strip("|").split("|")[1:]]
    published = {}
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        published[Permission(cells[0].strip("`"))] = {
            role for role, cell in zip(roles, cells[1:], strict=True) if cell == "yes"
        }
    assert published == {p: {role for role in Role if allows(role, p)} for p in Permission}
