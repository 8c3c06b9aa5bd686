"""How the Redis inventory engine names its keys and maps holds and script replies.

Key layout (``hf`` is the default prefix). Everything one script touches belongs to one listing
and carries the listing's hash tag, so it lands in one Redis Cluster slot:

* ``hf:{<listing>}:pools``      hash ``<pool>:cap|held|sold`` -> count; also the listing's sentinel:
  the scripts answer 'unavailable' when it is gone (``lua/lib.lua``)
* ``hf:{<listing>}:customers``  hash customer_ref -> units in active and confirmed holds
* ``hf:{<listing>}:expiry``     zset of active hold ids scored by expiry (ms)
* ``hf:{<listing>}:journal``    stream of hold transitions for the Postgres journaling job
* ``hf:{<listing>}:hold:<id>``  hash: the hold record (kept for a retention period once ended)

Lookups by id live outside the listings' slots and are never touched by a script:

* ``hf:hold-listing:<hold>``    string -> listing id (with a TTL; may point at a listing that
  has no such hold, e.g. after a refused ``place_hold``)
* ``hf:pool-listing``           hash pool id -> listing id; written with every pool's counters and
  never emptied, so its absence means the engine has no state at all (never used, or lost)
* ``hf:listings``               set of listing ids, so ``expire_due`` can visit every listing
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, NoReturn
from uuid import UUID

import msgspec

from application.audit import AuditContext
from application.errors import InventoryUnavailableError
from domain.errors import (
    CapacityBelowCommittedError,
    CustomerLimitExceededError,
    HoldExpiredError,
    HoldNotActiveError,
    InsufficientInventoryError,
    NotFoundError,
)
from domain.inventory import Hold, HoldLine, HoldStatus, PoolCounters

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def to_ms(moment: datetime) -> int:
    """The caller's clock as the scripts see it: whole milliseconds, rounded down."""
    return (moment - _EPOCH) // _MS


def expiry_ms(moment: datetime) -> int:
    """An expiry in milliseconds, rounded up, so no hold expires before its ``expires_at``."""
    return -((_EPOCH - moment) // _MS)


@dataclass(frozen=True, slots=True)
class ListingKeys:
    tag: str
    # The keys every script receives first, in the order ``lua/lib.lua`` expects (made once:
    # every script call sends them).
    common: tuple[str, str, str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        common = (f"{self.tag}:pools", f"{self.tag}:customers", f"{self.tag}:expiry", f"{self.tag}:journal")
        object.__setattr__(self, "common", common)

    @property
    def pools(self) -> str:
        return f"{self.tag}:pools"

    @property
    def journal(self) -> str:
        return f"{self.tag}:journal"

    @property
    def expiry(self) -> str:
        return f"{self.tag}:expiry"

    def hold(self, hold_id: UUID | str) -> str:
        return f"{self.tag}:hold:{hold_id}"


@dataclass(frozen=True, slots=True)
class RedisKeys:
    prefix: str = "hf"

    def __post_init__(self) -> None:
        if not self.prefix or "{" in self.prefix or "}" in self.prefix:
            raise ValueError("the key prefix must be non-empty and free of braces (they pick the hash slot)")

    @lru_cache(maxsize=4096)  # noqa: B019 - a few per-process objects, each listing's keys made once
    def listing(self, listing_id: UUID | str) -> ListingKeys:
        return ListingKeys(f"{self.prefix}:{{{listing_id}}}")

    def hold_listing(self, hold_id: UUID | str) -> str:
        return f"{self.prefix}:hold-listing:{hold_id}"

    @property
    def pool_listing(self) -> str:
        return f"{self.prefix}:pool-listing"

    @property
    def listings(self) -> str:
        return f"{self.prefix}:listings"


class _StoredHold(msgspec.Struct):
    """A hold record's ``body``: the hold without its status (msgspec: encoded and decoded on every
    hold placed, so not the standard library's ``json``; bodies written by either read alike)."""

    id: UUID
    tenant_id: UUID
    listing_id: UUID
    customer_ref: str
    lines: list[tuple[UUID, int, int]]
    currency: str
    created_at: datetime
    expires_at: datetime


_encode = msgspec.json.Encoder().encode
_decode_body = msgspec.json.Decoder(_StoredHold).decode


def encode_hold(hold: Hold) -> str:
    """The hold without its status: stored as is and handed back by the scripts."""
    lines = [(line.pool_id, line.quantity, line.unit_price) for line in hold.lines]
    stored = _StoredHold(
        hold.id, hold.tenant_id, hold.listing_id, hold.customer_ref, lines, hold.currency,
        hold.created_at, hold.expires_at,
    )  # fmt: skip
    return _encode(stored).decode()


def encode_lines(hold: Hold) -> str:
    """The part of the lines the scripts count with (cjson ``[[pool, quantity], ...]``)."""
    return _encode([(line.pool_id, line.quantity) for line in hold.lines]).decode()


# The line a hold with a choice carries in its body until the script puts the picked one there.
_PLACEHOLDER = HoldLine(UUID(int=0), 1, 0)


class _Choice(msgspec.Struct):
    placeholder: str
    lines: list[tuple[UUID, int, str]]  # pool, quantity, the line as the body encodes it


def encode_choice(hold: Hold, choice: Sequence[HoldLine]) -> tuple[str, str]:
    """The body and ``place_hold.lua``'s choice argument of a hold with a choice line ('' for none)."""
    if not choice:
        return encode_hold(hold), ""
    placeholder = _line(_PLACEHOLDER)
    lines = [(line.pool_id, line.quantity, _line(line)) for line in choice]
    body = encode_hold(replace(hold, lines=(*hold.lines, _PLACEHOLDER)))
    return body, _encode(_Choice(placeholder, lines)).decode()


def _line(line: HoldLine) -> str:
    return _encode((line.pool_id, line.quantity, line.unit_price)).decode()


def decode_hold(status: str, body: str) -> Hold:
    data = _decode_body(body)
    return Hold(
        id=data.id,
        tenant_id=data.tenant_id,
        listing_id=data.listing_id,
        customer_ref=data.customer_ref,
        lines=tuple(HoldLine(pool, qty, unit_price=price) for pool, qty, price in data.lines),
        currency=data.currency,
        created_at=data.created_at,
        expires_at=data.expires_at,
        status=HoldStatus(status),
    )


def decode_pool(reply: list[Any], pool_id: UUID, listing_id: UUID) -> PoolCounters:
    """A ``{'pool', capacity, held, sold}`` reply."""
    _, capacity, held, sold = reply
    return PoolCounters(pool_id, listing_id, int(capacity), int(held), int(sold))


def pool_fields(pool_id: UUID) -> tuple[str, str, str]:
    return f"{pool_id}:cap", f"{pool_id}:held", f"{pool_id}:sold"


def decode_pools(listing_id: str, fields: dict[str, str]) -> list[PoolCounters]:
    """Every pool of a listing's ``pools`` hash (``<pool>:cap|held|sold`` -> count)."""
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for name, value in fields.items():
        pool, field = name.rsplit(":", 1)
        counts[pool][field] = int(value)
    listing = UUID(listing_id)
    return [PoolCounters(UUID(pool), listing, c["cap"], c["held"], c["sold"]) for pool, c in counts.items()]


def short_pools(reply: list[Any]) -> dict[UUID, int]:
    """The pools of an ``{'err', 'short', earliest expiry, pool, available, ...}`` reply."""
    pairs = reply[3:]
    return {UUID(p): int(n) for p, n in zip(pairs[::2], pairs[1::2], strict=True)}


def short_until_ms(reply: list[Any]) -> float:
    """When a ``short`` reply's listing next has a hold falling due (ms; inf: none active)."""
    return float(reply[2]) if reply[2] != "" else float("inf")


def raise_error(reply: list[Any], subject: UUID) -> NoReturn:
    """Raise the domain error an ``{'err', code, ...}`` reply stands for.

    ``subject`` is the hold (or, for resize, the pool) the call was about.
    """
    code, *rest = reply[1:]
    if code == "unavailable":
        raise InventoryUnavailableError()
    if code == "not_found":
        raise NotFoundError("hold", subject)
    if code == "pool_not_found":
        raise NotFoundError("pool", UUID(rest[0]))
    if code == "short":
        raise InsufficientInventoryError(short_pools(reply))
    if code == "limit":
        limit, already, asked = map(int, rest)
        raise CustomerLimitExceededError(limit, already, asked)
    if code == "expired":
        raise HoldExpiredError(subject)
    if code == "not_active":
        raise HoldNotActiveError(subject, rest[0])
    if code == "below":
        raise CapacityBelowCommittedError(subject, int(rest[0]), int(rest[1]))
    raise RuntimeError(f"unexpected script reply {reply!r}")


def decoded(value: Any) -> Any:
    """Replies as text whatever the client's ``decode_responses``."""
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, list | tuple | set):
        return [decoded(item) for item in value]
    if isinstance(value, dict):
        return {decoded(k): decoded(v) for k, v in value.items()}
    return value


def encode_by(context: AuditContext) -> str:
    """Who asked for a hold's placing or release, as its journal entry's ``by`` field: role,
    actor, correlation id and IP, space-separated (``-`` for none; none of them holds a
    space). The user agent stays out: Redis keeps every entry until it is journaled."""
    return f"{context.role} {context.actor} {context.correlation_id or '-'} {context.ip or '-'}"


def decode_by(text: str | None) -> AuditContext | None:
    """The context ``encode_by`` wrote; None for an entry without one (an expiry, an older entry)."""
    parts = (text or "").split(" ")
    if len(parts) != 4:  # never lose a hold over who asked for it
        return None
    role, actor, correlation, ip = parts
    return AuditContext(
        actor, role, correlation_id=None if correlation == "-" else correlation, ip=None if ip == "-" else ip
    )
