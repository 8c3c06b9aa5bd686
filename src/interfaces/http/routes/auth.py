"""Sign-in: ``/v1/auth/*``.

Registering, signing in, refreshing, signing out and accepting an invitation need no
credentials of their own (the body carries them), so they live on ``auth_router``, outside the
/v1 router's authentication. ``/v1/auth/me`` is for any signed-in user (permission ``self``)
and is on ``me_router``, authenticated as /v1 is.
"""

from __future__ import annotations

from litestar import Controller, Response, Router, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody

from application.use_cases.identity.accept_invitation import AcceptInvitation, AcceptInvitationHandler
from application.use_cases.identity.login import Login, LoginHandler
from application.use_cases.identity.logout import LogoutHandler
from application.use_cases.identity.me import GetMeHandler, UpdateMe, UpdateMeHandler
from application.use_cases.identity.refresh_session import RefreshSessionHandler
from application.use_cases.identity.register_customer import RegisterCustomer, RegisterCustomerHandler
from domain.identity import Actor
from interfaces.http.auth_schemas import (
    AcceptInvitationIn,
    LoginIn,
    MeIn,
    RefreshIn,
    RegisterIn,
    SessionOut,
    UserOut,
)
from interfaces.http.dependencies import authentication_middleware, provide_actor, use_case
from interfaces.http.errors import PROBLEM_JSON
from interfaces.http.idempotency import idempotency_middleware
from interfaces.http.openapi import problems
from interfaces.http.permissions import permission_middleware
from interfaces.http.query import known_query_parameters
from interfaces.http.rate_limits import rate_limit_middleware
from interfaces.http.schemas import ProblemOut
from interfaces.http.strict_body import strict_body


def _public(*codes: str) -> dict[int, ResponseSpec]:
    """The problems of a route that takes no credentials: its own 401 codes, none of /v1's."""
    found = problems(*codes)
    found.pop(401, None)
    own = [code for code in codes if code in _UNAUTHORIZED]
    if own:
        found[401] = ResponseSpec(
            data_container=ProblemOut,
            description="problem+json with code " + " or ".join(f"`{code}`" for code in own),
            media_type=PROBLEM_JSON,
            generate_examples=False,
        )
    return found


_UNAUTHORIZED = {"invalid_credentials", "invalid_token"}


@post(
    "/register",
    dependencies={"register_customer": use_case("register_customer")},
    responses=_public("not_found", "already_exists"),
)
async def register(data: JSONBody[RegisterIn], register_customer: NamedDependency[RegisterCustomerHandler]) -> UserOut:
    """A customer registers with a tenant (``tenant_id``). An email is unique per tenant,
    whatever its case (409 ``already_exists``). Then sign in with ``POST /v1/auth/login``."""
    user = await register_customer(RegisterCustomer(data.tenant_id, data.email, data.password, data.name))
    return UserOut.of(user)


@post(
    "/login",
    status_code=200,
    dependencies={"login": use_case("login")},
    responses=_public("invalid_credentials", "login_locked"),
)
async def login(data: JSONBody[LoginIn], login: NamedDependency[LoginHandler]) -> SessionOut:
    """Sign in: an access token (a JWT for ``Authorization: Bearer``, ``expires_in`` seconds) and
    a refresh token. Every failure is 401 ``invalid_credentials``, whichever part was wrong.
    After 5 failures in a row for an email the account is locked: 429 ``login_locked`` with
    ``Retry-After``, even for the right password, for 1 minute, doubling with each further
    failure (at most an hour); a success clears the count."""
    return SessionOut.of(await login(Login(data.tenant_id, data.email, data.password)))


@post(
    "/refresh",
    status_code=200,
    dependencies={"refresh_session": use_case("refresh_session")},
    responses=_public("invalid_token"),
)
async def refresh(data: JSONBody[RefreshIn], refresh_session: NamedDependency[RefreshSessionHandler]) -> SessionOut:
    """A new access token and the next refresh token; the one sent is used up. Sending a used
    refresh token again ends its whole family (every token of that sign-in, the newest too):
    401 ``invalid_token``, and the user signs in again."""
    return SessionOut.of(await refresh_session(data.refresh_token))


@post("/logout", status_code=204, dependencies={"logout": use_case("logout")}, responses=_public())
async def logout(data: JSONBody[RefreshIn], logout: NamedDependency[LogoutHandler]) -> None:
    """Ends the refresh token's family; 204 whatever the token (twice is harmless). Access
    tokens already issued run out on their own (``expires_in``)."""
    await logout(data.refresh_token)


@post(
    "/accept-invitation",
    status_code=200,
    dependencies={"accept_invitation": use_case("accept_invitation")},
    responses=_public("invalid_token"),
)
async def accept_invitation(
    data: JSONBody[AcceptInvitationIn], accept_invitation: NamedDependency[AcceptInvitationHandler]
) -> SessionOut:
    """A staff member sets a password with the invitation token (single use, 72 hours) and is
    signed in."""
    return SessionOut.of(await accept_invitation(AcceptInvitation(data.token, data.password)))


auth_router = Router(
    path="/v1/auth",
    route_handlers=[register, login, refresh, logout, accept_invitation],
    tags=["auth"],
    before_request=strict_body,
    guards=[known_query_parameters],
    opt={"public": True},  # no credentials: no role to check (interfaces/http/permissions.py)
    middleware=[rate_limit_middleware],  # counted per client address (README "Rate limits")
)


class MeController(Controller):
    path = "/"
    tags = ["auth"]

    @get("/", dependencies={"get_me": use_case("get_me")}, responses=problems("forbidden"), opt={"permission": "self"})
    async def show(self, actor: NamedDependency[Actor], get_me: NamedDependency[GetMeHandler]) -> UserOut:
        """The signed-in user (a Bearer token; an API key is 403)."""
        return UserOut.of(await get_me(actor))

    @patch(
        "/",
        dependencies={"update_me": use_case("update_me")},
        responses=problems("forbidden", "current_password_mismatch"),
        opt={"permission": "self"},
    )
    async def change(
        self, data: JSONBody[MeIn], actor: NamedDependency[Actor], update_me: NamedDependency[UpdateMeHandler]
    ) -> Response[UserOut]:
        """Change the name, or the password (with ``current_password``; 403
        ``current_password_mismatch`` if wrong). A new password ends every session of the user:
        other devices sign in again."""
        user = await update_me(actor, UpdateMe(data.name, data.password, data.current_password))
        return Response(UserOut.of(user))


# /v1/auth/me is a signed-in user's own: authenticated as /v1 is (first, before the body), but
# documented with the Bearer scheme alone, since an API key has no "me" (403).
me_router = Router(
    path="/v1/auth/me",
    route_handlers=[MeController],
    dependencies={"actor": Provide(provide_actor)},
    security=[{"Bearer": []}],
    before_request=strict_body,
    guards=[known_query_parameters],
    middleware=[authentication_middleware, permission_middleware, rate_limit_middleware, idempotency_middleware],
)
