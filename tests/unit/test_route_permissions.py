"""A /v1 route that declares no permission stops the app from starting, so none is forgotten."""

from __future__ import annotations

import pytest
from litestar import Litestar, Router, get

from domain.permissions import Permission
from interfaces.http.permissions import check_permissions, requires, route_permissions


@get("/declared", opt=requires(Permission.CATALOGUE_READ), sync_to_thread=False)
def declared() -> str:
    return "ok"


@get("/forgotten", sync_to_thread=False)
def forgotten() -> str:
    return "ok"


@get("/misspelt", opt={"permission": "catalog:read"}, sync_to_thread=False)
def misspelt() -> str:
    return "ok"


def _app(*handlers: object, **router: object) -> Litestar:
    return Litestar(route_handlers=[Router(path="/v1", route_handlers=list(handlers), **router)])  # type: ignore[arg-type]


def test_a_route_without_a_permission_fails_the_start() -> None:
    with pytest.raises(RuntimeError, match="GET /v1/forgotten declares no permission"):
        check_permissions(_app(declared, forgotten))


def test_a_permission_the_matrix_does_not_know_fails_the_start() -> None:
    with pytest.raises(RuntimeError, match="unknown permission 'catalog:read'"):
        check_permissions(_app(misspelt))


def test_public_and_operator_routes_say_so_instead() -> None:
    assert route_permissions(_app(forgotten, opt={"public": True})) == {("GET", "/v1/forgotten"): "public"}
    assert route_permissions(_app(forgotten, opt={"scope": "operator"})) == {("GET", "/v1/forgotten"): "operator"}
    assert route_permissions(_app(declared)) == {("GET", "/v1/declared"): Permission.CATALOGUE_READ}


def test_the_service_itself_starts(tmp_path: object) -> None:
    from infrastructure.settings import Settings
    from interfaces.http.app import create_app

    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db"))
    found = route_permissions(app)
    assert found[("POST", "/v1/bookings/{booking_id}/refunds")] == Permission.BOOKINGS_REFUND
    assert found[("POST", "/v1/webhooks/stripe")] == "public"
    assert found[("GET", "/v1/ops/version")] == "operator"


def test_every_operation_of_the_document_says_who_may_call_it(tmp_path: object) -> None:
    from infrastructure.settings import Settings
    from interfaces.http.app import create_app

    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db"))
    document = app.openapi_schema.to_schema()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete") or not path.startswith("/v1/"):
                continue
            said = [key for key in ("x-required-permission", "x-required-scope", "x-public") if key in operation]
            assert len(said) == 1, (method, path, said)
            if "x-required-permission" in operation:
                assert "403" in operation["responses"], (method, path)
