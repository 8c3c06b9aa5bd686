"""POSTs to tenants' webhook endpoints with httpx: one pooled client, short timeouts, no redirects."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Mapping
from urllib.parse import urlsplit

import httpx

from application.ports.outgoing_webhooks import HttpAnswer
from application.use_cases.process_webhook_event import describe

USER_AGENT = "Holdfast-Webhooks/1"


class HttpxWebhookSender:
    """Redirects are not followed (a 3xx is a failed attempt, retried): a signed request must
    reach the URL the tenant registered, not wherever it points. The answer's body is not read
    beyond what httpx buffers; only its status matters."""

    def __init__(
        self, timeout_seconds: float = 10.0, connect_seconds: float = 5.0, *, private_targets: bool = True
    ) -> None:
        self._private_targets = private_targets
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_seconds, connect=connect_seconds),
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT},
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
        )

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> HttpAnswer:
        started = time.perf_counter()
        if not self._private_targets and (refused := await _non_public_address(url)) is not None:
            return HttpAnswer(None, f"not sent: {refused} is not a public address", _elapsed_ms(started))
        try:
            response = await self._client.post(url, content=body, headers=dict(headers))
        except (httpx.HTTPError, httpx.InvalidURL) as exc:  # InvalidURL: a URL taken before the edge refused it
            # describe(): short and printable, since the message may quote what the endpoint sent
            return HttpAnswer(None, describe(exc), _elapsed_ms(started))
        error = None if response.is_success else f"HTTP {response.status_code}"
        return HttpAnswer(response.status_code, error, _elapsed_ms(started))

    async def aclose(self) -> None:
        await self._client.aclose()


async def _non_public_address(url: str) -> str | None:
    """The first address the URL's host resolves to that is not on the public internet
    (loopback, private, link-local, reserved...), or None. A tenant's URL must not reach our own
    network: metadata services, admin ports, the database. (The name is resolved again by the
    client when it connects; a host that answers differently the second time is not caught.)"""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
    except OSError:
        return None  # unresolvable: the POST fails on its own, as any unreachable endpoint does
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0])
        if not address.is_global:
            return str(address)
    return None


def _elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
