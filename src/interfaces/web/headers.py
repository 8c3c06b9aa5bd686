"""The pages' security headers: a strict Content-Security-Policy (scripts and styles from this
origin only: no inline script, no eval), who may frame them, no MIME sniffing, and referrers
kept to this origin.

A router middleware of the pages only: ``/v1`` answers JSON with its own headers, and the
``/schema`` pages carry their own policy (interfaces/http/docs.py).
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send


def content_security_policy(frame_ancestors: str) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "form-action 'self'",
            "base-uri 'none'",
            "object-src 'none'",
            f"frame-ancestors {frame_ancestors}",
        ]
    )


def frame_options(frame_ancestors: str) -> str | None:
    """X-Frame-Options for browsers that ignore frame-ancestors; it can say only DENY or
    SAMEORIGIN, so a list naming other origins leaves it out (the CSP decides there)."""
    return {"'none'": "DENY", "'self'": "SAMEORIGIN"}.get(frame_ancestors)


def page_headers(frame_ancestors: str) -> list[tuple[str, str]]:
    found = [
        ("content-security-policy", content_security_policy(frame_ancestors)),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
    ]
    if (option := frame_options(frame_ancestors)) is not None:
        found.append(("x-frame-options", option))
    return found


def security_headers_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        headers = page_headers(scope["app"].state.settings.frame_ancestors)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableScopeHeaders.from_message(message)
                for name, value in headers:
                    out[name] = value
            await send(message)

        await app(scope, receive, send_with_headers)

    return middleware
