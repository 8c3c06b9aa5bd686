"""POSTs to tenants' webhook endpoints with httpx: one pooled client, short timeouts, no redirects,
and only to the targets ``WebhookTargets`` allows.

A tenant's URL must not reach our own network (metadata services, admin ports, the database):
its host is resolved once, every address it gave is checked, and the POST connects to the
checked address itself, with the URL's host name in the ``Host`` header and as the TLS server
name (so the certificate is still verified for the name). The HTTP client never resolves the
name again: a host that answers with a public address to the check and a private one to the
connection (DNS rebinding) cannot slip through.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from application.ports.outgoing_webhooks import HttpAnswer
from application.use_cases.process_webhook_event import describe

USER_AGENT = "Holdfast-Webhooks/1"
DEFAULT_PORTS = {"http": 80, "https": 443}
RESOLVE_SECONDS = 5.0

# host, port -> the addresses it resolves to (tests give a resolver of their own)
Resolver = Callable[[str, int], Awaitable[list[str]]]


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in infos))


@dataclass(frozen=True, slots=True)
class Pinned:
    """Where to connect (the URL with its host replaced by the checked address) and what to tell
    the server it is talking to."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, Any] = field(default_factory=dict)


class WebhookTargets:
    """Which URLs tenants' webhooks may go to.

    * plain ``http://`` only when ``plain_http`` (development): production sends signed events
      over TLS only;
    * loopback, private, link-local, reserved... addresses only when ``private_targets``: every
      address the host resolves to must be public, or nothing is sent.
    """

    def __init__(self, *, private_targets: bool, plain_http: bool, resolver: Resolver = system_resolver) -> None:
        self._private_targets, self._plain_http, self._resolve = private_targets, plain_http, resolver

    async def refusal(self, url: str) -> str | None:
        """Why ``url`` may not be registered, or None. A host that does not resolve (yet) is
        accepted here; it is checked again, and refused, at each send."""
        if self._private_targets:  # nothing to resolve for: only the scheme can be refused
            return self._scheme_refusal(url)
        found = await self.pin(url)
        return found if isinstance(found, str) and not found.endswith("does not resolve") else None

    async def pin(self, url: str) -> Pinned | str:
        """The checked address to connect to, or why nothing may be sent."""
        if (refused := self._scheme_refusal(url)) is not None:
            return refused
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port or DEFAULT_PORTS.get(parts.scheme, 443)
        try:
            async with asyncio.timeout(RESOLVE_SECONDS):
                addresses = await self._resolve(host, port)
        except OSError:  # TimeoutError included
            addresses = []
        if not addresses:
            return f"{host} does not resolve"
        for address in addresses:
            if not self._private_targets and not ipaddress.ip_address(address.split("%", 1)[0]).is_global:
                return f"{address} is not a public address"
        return _pinned(parts, addresses[0], port)

    def _scheme_refusal(self, url: str) -> str | None:
        if urlsplit(url).scheme == "http" and not self._plain_http:
            return "plain http:// is refused here: use https://"
        return None


def _pinned(parts: Any, address: str, port: int) -> Pinned:
    literal = f"[{address}]" if ":" in address else address
    netloc = literal if parts.port is None else f"{literal}:{port}"
    host_header = parts.netloc.rpartition("@")[2]  # what the URL names, port included
    extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
    url = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    return Pinned(url, {"Host": host_header}, extensions)


class HttpxWebhookSender:
    """Redirects are not followed (a 3xx is a failed attempt, retried): a signed request must
    reach the URL the tenant registered, not wherever it points. The answer's body is not read
    beyond what httpx buffers; only its status matters."""

    def __init__(
        self,
        timeout_seconds: float = 10.0,
        connect_seconds: float = 5.0,
        *,
        private_targets: bool = False,
        plain_http: bool = False,
        resolver: Resolver = system_resolver,
    ) -> None:
        self.targets = WebhookTargets(private_targets=private_targets, plain_http=plain_http, resolver=resolver)
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_seconds, connect=connect_seconds),
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT},
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
        )

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> HttpAnswer:
        started = time.perf_counter()
        target = await self.targets.pin(url)
        if isinstance(target, str):
            return HttpAnswer(None, f"not sent: {target}", _elapsed_ms(started))
        try:
            response = await self._client.post(
                target.url, content=body, headers={**headers, **target.headers}, extensions=target.extensions
            )
        except (httpx.HTTPError, httpx.InvalidURL) as exc:  # InvalidURL: a URL taken before the edge refused it
            # describe(): short and printable, since the message may quote what the endpoint sent
            return HttpAnswer(None, describe(exc), _elapsed_ms(started))
        error = None if response.is_success else f"HTTP {response.status_code}"
        return HttpAnswer(response.status_code, error, _elapsed_ms(started))

    async def aclose(self) -> None:
        await self._client.aclose()


def _elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
