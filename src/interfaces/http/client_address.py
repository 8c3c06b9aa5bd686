"""Who is on the other end of a request: the client's address, as rate limits (and audit lines)
count it.

The connection's own address (the ASGI ``client``), unless it is one of the trusted proxies
(``HOLDFAST_TRUSTED_PROXIES``): then ``X-Forwarded-For`` is read from its right end, each proxy
having appended the address it was connected from, and the first address that is not a trusted
proxy is the client. Hops further left were written by the client itself and are never believed;
a hop that is not an address ends the walk at the proxy that passed it on. Without trusted
proxies the header is ignored: anybody can send it.

An IPv6 client counts as its /64 (one subscriber's prefix: an address within it costs nothing to
change); an IPv4 client on a dual-stack socket (``::ffff:a.b.c.d``) counts as its IPv4 address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from litestar.types import Scope

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_FORWARDED_FOR = b"x-forwarded-for"


def trusted_networks(proxies: Sequence[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def client_ip(scope: Scope, trusted: tuple[Network, ...]) -> str | None:
    """The client's own address (what an audit line names), None when the server was told none
    (a Unix socket)."""
    client = scope.get("client")
    if not client:
        return None
    peer: str = client[0]
    if trusted and _is_trusted(peer, trusted):
        peer = _forwarded_client(scope, peer, trusted)
    return peer


def client_address(scope: Scope, trusted: tuple[Network, ...]) -> str:
    """The client's address as a bucket counts it (IPv6: its /64), or ``"unknown"`` when the
    server was told none (a Unix socket)."""
    peer = client_ip(scope, trusted) or "unknown"
    return _prefix64(peer) if ":" in peer else peer


def _forwarded_client(scope: Scope, proxy: str, trusted: tuple[Network, ...]) -> str:
    hops = b",".join(value for name, value in scope["headers"] if name == _FORWARDED_FOR).decode("latin-1")
    address = proxy
    for hop in reversed(hops.split(",")):
        parsed = _parsed(hop.strip())
        if parsed is None:
            break
        address = str(parsed)
        if not any(parsed in network for network in trusted):
            break
    return address


def _is_trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    parsed = _parsed(address)
    return parsed is not None and any(parsed in network for network in trusted)


def _parsed(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _prefix64(address: str) -> str:
    parsed = _parsed(address)
    if not isinstance(parsed, ipaddress.IPv6Address):
        return address
    if parsed.ipv4_mapped is not None:  # an IPv4 client of a dual-stack socket: its own address
        return str(parsed.ipv4_mapped)
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
