"""People's sessions in the browser: the identity tokens (``POST /v1/auth/login``'s access and
refresh tokens) kept in HttpOnly, SameSite=Lax cookies, Secure over https. Never an API key.

The access token is checked on every page as a Bearer token would be (``AuthenticateHandler``,
on the CPU); when it has run out, the refresh token is rotated through ``RefreshSessionHandler``
(its reuse detection included) and both cookies are replaced on the response.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request, Response
from litestar.datastructures import Cookie

from application.use_cases.identity.sessions import Session
from domain.errors import DomainError
from domain.identity import Actor

ACCESS_COOKIE = "hf_access"
REFRESH_COOKIE = "hf_refresh"
# The refresh token is sent only where it is used: the console's pages and its sign-out.
REFRESH_PATH = "/console"


@dataclass(frozen=True, slots=True)
class Signed:
    """Who a page's request is from, and the cookies to set when its session was refreshed."""

    actor: Actor
    refreshed: Session | None = None


def is_https(request: Request[Any, Any, Any]) -> bool:
    """https as the client sees it (the app's scheme, which a trusted proxy's uvicorn/granian
    headers set), or production, where the pages are served over https by the edge."""
    return request.url.scheme == "https" or request.app.state.settings.environment == "production"


def session_cookies(request: Request[Any, Any, Any], session: Session) -> list[Cookie]:
    secure = is_https(request)
    refresh_age = int((session.refresh_expires_at - request.app.state.container.core.clock().now()).total_seconds())
    return [
        Cookie(ACCESS_COOKIE, value=session.access_token, path="/", httponly=True, secure=secure, samesite="lax"),
        Cookie(
            REFRESH_COOKIE,
            value=session.refresh_token,
            path=REFRESH_PATH,
            max_age=max(refresh_age, 0),
            httponly=True,
            secure=secure,
            samesite="lax",
        ),
    ]


def cleared_cookies(request: Request[Any, Any, Any]) -> list[Cookie]:
    secure = is_https(request)
    return [
        Cookie(ACCESS_COOKIE, value="", path="/", max_age=0, httponly=True, secure=secure, samesite="lax"),
        Cookie(REFRESH_COOKIE, value="", path=REFRESH_PATH, max_age=0, httponly=True, secure=secure, samesite="lax"),
    ]


async def signed_in(request: Request[Any, Any, Any]) -> Signed | None:
    """The request's user, refreshing an access token that has run out; None when neither
    cookie makes a session (signed out, expired, or a refresh token used twice)."""
    use_cases = request.app.state.container.use_cases
    access = request.cookies.get(ACCESS_COOKIE)
    if access:
        try:
            return Signed(await use_cases.authenticate()(None, access))
        except DomainError:
            pass  # run out (or forged): the refresh token decides
    refresh = request.cookies.get(REFRESH_COOKIE)
    if not refresh:
        return None
    try:
        session = await use_cases.refresh_session()(refresh)
        return Signed(await use_cases.authenticate()(None, session.access_token), session)
    except DomainError:
        return None


def with_cookies(response: Response[Any], cookies: list[Cookie]) -> Response[Any]:
    for cookie in cookies:
        response.set_cookie(cookie)
    return response
