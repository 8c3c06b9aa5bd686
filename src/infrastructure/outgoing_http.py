"""POSTs to tenants' webhook endpoints with httpx: one pooled client, short timeouts, no redirects,
and only to the targets ``WebhookTargets`` allows.

A tenant's URL must not reach our own network (metadata services, admin ports, the database):
its host is resolved once, every address it gave is checked, and the POST's connection goes to
the checked address itself, while the request is still made to the URL as given (its host in
the ``Host`` header, as the TLS server name and in the certificate check). The HTTP client never
resolves the name again: a host that answers with a public address to the check and a private
one to the connection (DNS rebinding) cannot slip through.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpcore
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


# (host, port) -> the checked address, for the request this task is sending (see _PinnedBackend)
_PINNED: ContextVar[dict[tuple[str, int], str] | None] = ContextVar("pinned_webhook_addresses", default=None)


@dataclass(frozen=True, slots=True)
class Pinned:
    """A URL's host, port and the checked address to connect to for them."""

    host: str
    port: int
    address: str


class _PinnedBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections only to the address checked for the host and port being sent to,
    never resolving a name: the connection pool stays keyed by host name (so the TLS server name
    and the certificate check are the URL's host, and a connection is reused only for that
    host), while the socket goes to the checked address."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        address = (_PINNED.get() or {}).get((host, port))
        if address is None:
            raise httpcore.ConnectError(f"{host}:{port} was not checked before connecting")
        return await self._inner.connect_tcp(address, port, timeout, local_address, socket_options)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("webhooks are not sent to unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _pinned_transport(limits: httpx.Limits, ssl_context: ssl.SSLContext | None) -> httpx.AsyncHTTPTransport:
    """httpx's transport on a pool whose connections go through ``_PinnedBackend`` (httpx takes
    no network backend of its own, so its pool is replaced by an equal one that does)."""
    transport = httpx.AsyncHTTPTransport(limits=limits, trust_env=False)
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=ssl_context or httpx.create_ssl_context(trust_env=False),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=_PinnedBackend(),
    )
    return transport


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
        return Pinned(host, port, addresses[0])

    def _scheme_refusal(self, url: str) -> str | None:
        if urlsplit(url).scheme == "http" and not self._plain_http:
            return "plain http:// is refused here: use https://"
        return None


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
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """``ssl_context``: which certificates are trusted (default: the public CAs, as httpx
        has them); tests give one that trusts a CA of their own. Whatever it trusts, the
        certificate is checked against the URL's host name, which is also the TLS server name."""
        self.targets = WebhookTargets(private_targets=private_targets, plain_http=plain_http, resolver=resolver)
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_seconds, connect=connect_seconds),
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT},
            # No proxies from the environment either: a proxy would resolve the name itself.
            transport=_pinned_transport(httpx.Limits(max_connections=64, max_keepalive_connections=16), ssl_context),
            trust_env=False,
        )

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> HttpAnswer:
        started = time.perf_counter()
        target = await self.targets.pin(url)
        if isinstance(target, str):
            return HttpAnswer(None, f"not sent: {target}", _elapsed_ms(started))
        pinned = _PINNED.set({(target.host, target.port): target.address})
        try:
            response = await self._client.post(url, content=body, headers=dict(headers))
        except (httpx.HTTPError, httpx.InvalidURL) as exc:  # InvalidURL: a URL taken before the edge refused it
            # describe(): short and printable, since the message may quote what the endpoint sent
            return HttpAnswer(None, describe(exc), _elapsed_ms(started))
        finally:
            _PINNED.reset(pinned)
        error = None if response.is_success else f"HTTP {response.status_code}"
        return HttpAnswer(response.status_code, error, _elapsed_ms(started))

    async def aclose(self) -> None:
        await self._client.aclose()


def _elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
