"""The waiting room in Redis: one Lua script call per operation (``lua/waiting_room/``).

Everything lives in Redis, so the queue outlives any API process (and a worker killed during a
release: the release is one script, done or not done). A listing's keys share the hash tag
``{q:<listing>}`` (``lua/waiting_room/lib.lua`` lists them). Scripts are called by SHA
(redis-py's ``Script``: EVALSHA, loading the script on a NOSCRIPT after a restart or flush).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from domain.waiting_room import Joined, QueueSettings, Ticket, TicketState
from infrastructure.resources import lua_dir
from infrastructure.waiting_room.outcomes import check_use

SCRIPTS = ("join", "ticket", "leave", "release", "use_pass", "unuse_pass")


def _ms(at: datetime) -> str:
    return str(int(at.timestamp() * 1000))


def _at(raw: Any) -> datetime | None:
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    return datetime.fromtimestamp(int(text) / 1000, UTC) if text else None


def _keys(listing_id: UUID, *names: str) -> list[str]:
    return [f"{{q:{listing_id}}}:{name}" for name in names]


class RedisWaitingRoom:
    def __init__(self, redis: Redis, scripts_dir: Path | None = None) -> None:
        root = scripts_dir or lua_dir() / "waiting_room"
        library = (root / "lib.lua").read_text()
        self._scripts: dict[str, AsyncScript] = {
            name: redis.register_script(f"{library}\n{(root / f'{name}.lua').read_text()}") for name in SCRIPTS
        }

    async def _call(self, name: str, keys: list[str], *args: object) -> Any:
        return await self._scripts[name](keys=keys, args=list(args))

    async def join(self, listing_id: UUID, subject: str, ticket_id: UUID, now: datetime) -> Joined:
        keys = _keys(listing_id, "seq", "waiting", "tickets", "subjects", "admitted")
        created, described = await self._call("join", keys, subject, str(ticket_id), _ms(now))
        return Joined(_ticket(listing_id, described, now), bool(created))

    async def ticket(self, listing_id: UUID, ticket_id: UUID, now: datetime) -> Ticket | None:
        described = await self._call("ticket", _keys(listing_id, "waiting", "tickets"), str(ticket_id))
        return None if described is None else _ticket(listing_id, described, now)

    async def leave(self, listing_id: UUID, ticket_id: UUID, subject: str) -> bool:
        keys = _keys(listing_id, "waiting", "tickets", "subjects", "admitted")
        return bool(await self._call("leave", keys, str(ticket_id), subject))

    async def release(self, listing_id: UUID, queue: QueueSettings, now: datetime) -> int:
        keys = _keys(listing_id, "waiting", "tickets", "subjects", "admitted", "meta")
        period, ttl = queue.period_seconds * 1000, queue.pass_ttl_seconds * 1000
        return int(await self._call("release", keys, queue.batch_size, period, ttl, _ms(now)))

    async def use_pass(
        self, listing_id: UUID, ticket_id: UUID, subject: str, hold_id: UUID, limit: int, now: datetime
    ) -> bool:
        keys = _keys(listing_id, "tickets", "holds")
        outcome = await self._call("use_pass", keys, str(ticket_id), subject, str(hold_id), limit, _ms(now))
        return check_use(outcome.decode() if isinstance(outcome, bytes) else outcome, limit)

    async def unuse_pass(self, listing_id: UUID, ticket_id: UUID, hold_id: UUID) -> None:
        await self._call("unuse_pass", _keys(listing_id, "tickets", "holds"), str(ticket_id), str(hold_id))


def _ticket(listing_id: UUID, described: list[Any], now: datetime) -> Ticket:
    ident, subject, _seq, state, joined, admitted, expires, rank = described
    expires_at = _at(expires)
    status = TicketState(state.decode() if isinstance(state, bytes) else state)
    if status is TicketState.ADMITTED and expires_at is not None and expires_at <= now:
        status = TicketState.EXPIRED
    return Ticket(
        id=UUID(ident.decode() if isinstance(ident, bytes) else ident),
        listing_id=listing_id,
        subject=subject.decode() if isinstance(subject, bytes) else subject,
        joined_at=_at(joined) or now,
        state=status,
        position=int(rank) + 1 if status is TicketState.WAITING else 0,
        admitted_at=_at(admitted),
        pass_expires_at=expires_at,
    )
