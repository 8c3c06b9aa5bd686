"""The storm and the faults of the fault drill (``test_fault_drill.py`` runs them and checks).

Customers place holds on two APIs (some racing for the last units of small pools), book them,
pay through the fake gateway (the customer's card, then Stripe's webhook to either API), refund
(partial, full, concurrent, the same ``Idempotency-Key`` twice at once on both APIs), cancel, or
walk away and let holds and unpaid checkouts expire. "Stripe" delivers the fake gateway's queued
webhooks (refunds, cancelled intents) to either API, some twice, in any order, and delivers again
what was not accepted.
Meanwhile the faults strike: the worker and an API are killed with SIGKILL and started again,
Redis is stopped and started again with its data, then loses all of it while serving.

Every answer is tallied; failures during faults (503, refused connections) are expected and
only counted. What clients were told (bookings made, the refund each key named) is kept for
the checks.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

import httpx
from redis.asyncio import Redis

from infrastructure.payments.fake import FakePaymentGateway
from tests.integration.worker_stack import Child
from tests.servers import RestartableServer

TTL = (2, 6)  # hold lifetimes, seconds: short, so expiry happens during the storm and settles soon after


@dataclass
class Pool:
    listing_id: str
    pool_id: str
    price: int


@dataclass
class Tally:
    """What the clients saw: outcomes per operation, and what they were told exists."""

    outcomes: Counter[str] = field(default_factory=Counter)
    bookings: set[str] = field(default_factory=set)
    refunds_by_key: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    server_errors: list[str] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)

    @property
    def exercised(self) -> bool:
        """The storm did what a drill needs: sales paid, refunds made, cancellations, races lost."""
        return all(self.outcomes[seen] > 0 for seen in ("pay 200", "refund 201", "hold 409", "cancel 200"))

    def saw(self, operation: str, response: httpx.Response | None) -> None:
        status = "no answer" if response is None else str(response.status_code)
        self.outcomes[f"{operation} {status}"] += 1
        if response is not None and response.status_code >= 500 and response.status_code != 503:
            self.server_errors.append(f"{operation}: {response.status_code} {response.text[:300]}")


@dataclass
class Storm:
    clients: list[httpx.AsyncClient]  # one per API, kept across its restarts (same port)
    key: str
    pools: list[Pool]
    tally: Tally
    rng: random.Random
    gateway: FakePaymentGateway | None = None  # the customers' cards (production serves no /v1/dev)
    redeliver: list[Any] = field(default_factory=list)  # payment webhooks no API accepted: Stripe retries

    async def pay(self, booking: dict[str, Any], outcome: str) -> bool:
        """The customer's card at the gateway, then Stripe's webhook to either API; False when
        the gateway refused (the intent is no longer payable)."""
        assert self.gateway is not None
        try:
            webhooks = await self.gateway.pay(booking["payment"]["intent_id"], outcome)  # type: ignore[arg-type]
        except Exception:  # paid already, cancelled, expired: the customer gives up
            self.tally.outcomes[f"pay {outcome} refused"] += 1
            return False
        operation = "pay" if outcome == "succeeded" else "pay declined"
        for webhook in webhooks:
            path, headers = "/v1/webhooks/stripe", webhook.headers
            answer = await self.call(operation, "POST", path, content=webhook.payload, headers=headers)
            if not ok(answer, 200):
                self.redeliver.append(webhook)
        return True

    async def call(self, operation: str, method: str, path: str, **kw: Any) -> httpx.Response | None:
        """One request to either API; a refused or cut connection is an answer of its own."""
        headers = {"X-API-Key": self.key, **kw.pop("headers", {})}
        try:
            response = await self.rng.choice(self.clients).request(method, path, headers=headers, **kw)
        except httpx.TransportError:
            response = None
        self.tally.saw(operation, response)
        return response


def ok(response: httpx.Response | None, *statuses: int) -> bool:
    return response is not None and response.status_code in (statuses or (200, 201))


async def customer(storm: Storm, until: float, cap: float) -> None:
    """Journeys until ``until``, and past it (up to ``cap``) while the storm has not yet done
    everything a drill needs: a slow machine gets a longer storm, never a weaker check."""
    while time.monotonic() < until or (not storm.tally.exercised and time.monotonic() < cap):
        await journey(storm)


async def journey(storm: Storm) -> None:
    """One customer: hold, maybe book, maybe pay, then whatever happens to a sale."""
    rng = storm.rng
    pool = rng.choice(storm.pools)
    line = {"pool_id": pool.pool_id, "quantity": rng.choice((1, 1, 2))}
    body = {"listing_id": pool.listing_id, "customer_ref": f"c{rng.randrange(50)}", "lines": [line]}
    held = await storm.call("hold", "POST", "/v1/holds", json={**body, "ttl_seconds": rng.randint(*TTL)})
    if not ok(held, 201) or rng.random() < 0.15:  # refused, or left to expire
        await asyncio.sleep(0.05)
        return
    assert held is not None
    hold_id = held.json()["id"]
    if rng.random() < 0.1:
        await storm.call("release", "DELETE", f"/v1/holds/{hold_id}")
        return
    booked = await storm.call("book", "POST", "/v1/bookings", json={"hold_id": hold_id})
    if not ok(booked):
        return
    assert booked is not None
    booking = booked.json()
    storm.tally.bookings.add(booking["id"])
    if booking["status"] == "pending_payment":
        booking = await checkout(storm, booking)
        if booking is None:
            return
    await after_sale(storm, booking)


async def checkout(storm: Storm, booking: dict[str, Any]) -> dict[str, Any] | None:
    """Pay (some cards declined first), or never pay, or cancel before paying."""
    rng, path = storm.rng, f"/v1/bookings/{booking['id']}"
    if rng.random() < 0.1:
        return None  # never paid: it expires with its hold
    if rng.random() < 0.08:
        await storm.call("cancel unpaid", "POST", f"{path}/cancel")
        return None
    if rng.random() < 0.15:
        await storm.pay(booking, "declined")
    if not await storm.pay(booking, "succeeded"):
        return None
    for _ in range(20):  # the API handles the webhook after answering it: look a few times
        read = await storm.call("read booking", "GET", path)
        if ok(read, 200) and read is not None and read.json()["status"] == "confirmed":
            answer: dict[str, Any] = read.json()
            return answer
        await asyncio.sleep(0.1)
    return None


async def after_sale(storm: Storm, booking: dict[str, Any]) -> None:
    rng, path = storm.rng, f"/v1/bookings/{booking['id']}"
    captured = booking["payment"]["captured"] if booking["payment"] else 0
    choice = rng.random()
    if captured == 0 or choice < 0.2:
        if choice < 0.1:
            await storm.call("cancel", "POST", f"{path}/cancel")
        return
    if choice < 0.35:
        await refund(storm, path, rng.randint(1, captured // 2))
    elif choice < 0.5:
        await refund(storm, path, None)
    elif choice < 0.65:  # three at once, together more than was captured
        await asyncio.gather(*(refund(storm, path, captured // 3 + 1) for _ in range(3)))
    elif choice < 0.8:  # one key, three requests at once on both APIs: one refund
        key, amount = f"drill-{uuid4()}", rng.randint(1, captured)
        await asyncio.gather(*(refund(storm, path, amount, key) for _ in range(3)))
    elif choice < 0.9:
        await storm.call("cancel", "POST", f"{path}/cancel")
    else:  # the customer cancels while an operator refunds part of it
        await asyncio.gather(storm.call("cancel", "POST", f"{path}/cancel"), refund(storm, path, captured // 2))


async def refund(storm: Storm, path: str, amount: int | None, key: str | None = None) -> None:
    """A refund under an Idempotency-Key; an answer lost to a fault is asked again with the same
    key, as a careful client does (a 202 is never asked again: it will be paid)."""
    key = key or f"drill-{uuid4()}"
    body = {"reason": "drill"} if amount is None else {"amount": amount, "reason": "drill"}
    for _ in range(2):
        answer = await storm.call("refund", "POST", f"{path}/refunds", json=body, headers={"Idempotency-Key": key})
        if answer is not None and answer.status_code in (200, 201, 202):
            storm.tally.refunds_by_key[key].add(answer.json()["refund"]["id"])
        if answer is not None and answer.status_code != 503:
            return
        await asyncio.sleep(0.5)


@dataclass
class Stripe:
    """Delivers the fake gateway's queued webhooks to either API, as Stripe would: some twice,
    in any order, and again later when an API did not accept them."""

    gateway: FakePaymentGateway
    storm: Storm
    undelivered: list[Any] = field(default_factory=list)

    async def deliver_round(self) -> None:
        batch = self.undelivered + self.storm.redeliver + await self.gateway.take_webhooks()
        self.storm.redeliver = []
        self.storm.rng.shuffle(batch)
        self.undelivered = []
        for webhook in batch + [w for w in batch if self.storm.rng.random() < 0.3]:
            answer = await self.storm.call(
                "stripe webhook", "POST", "/v1/webhooks/stripe", content=webhook.payload, headers=webhook.headers
            )
            if not ok(answer, 200) and webhook not in self.undelivered:
                self.undelivered.append(webhook)

    async def run(self, until: float) -> None:
        while time.monotonic() < until:
            await self.deliver_round()
            await asyncio.sleep(0.3)


@dataclass
class Faults:
    """The faults, one after another, while the storm runs."""

    redis: RestartableServer
    apis: list[Child]
    worker: Child
    tally: Tally

    async def run(self) -> None:
        await self._pause(3)
        await self._step("SIGKILL the worker", self.worker.kill)
        await self._pause(2)
        await self._step("start the worker again", self.worker.start)
        await self._pause(2)
        await self._step("stop Redis", self.redis.stop)
        await self._pause(2)
        await self._step("start Redis again, with its data", self.redis.start)
        await self._pause(2)
        await self._step("SIGKILL API 1", self.apis[0].kill)
        await self._pause(1)
        await self._step("start API 1 again", self.apis[0].start)
        await self._pause(2)
        await self._step("Redis loses all of its data", self._flush())
        await self._pause(1)
        await self._step("SIGKILL API 2", self.apis[1].kill)
        await self._step("start API 2 again (it rebuilds the lost inventory)", self._start_api_2)
        await self._step("API 2 ready again", _until_ready(self.apis[1]))

    async def _step(self, what: str, action: Callable[[], None] | Awaitable[None]) -> None:
        """Run one step; the blocking ones (a SIGKILL waits for the death, a start until the
        server answers) in a thread, so the storm goes on meanwhile."""
        started = time.monotonic()
        await (action if isinstance(action, Awaitable) else asyncio.to_thread(action))
        self.tally.faults.append(f"{what} ({time.monotonic() - started:.1f} s)")

    def _start_api_2(self) -> None:
        self.apis[1].start("/health/live")  # the rebuild runs beside serving: readiness says when it is done

    async def _pause(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def _flush(self) -> None:
        client = Redis.from_url(self.redis.url)
        try:
            await client.flushall()
        finally:
            await client.aclose()


async def _until_ready(api: Child, deadline: float = 60) -> None:
    give_up = time.monotonic() + deadline
    async with httpx.AsyncClient(base_url=api.base, timeout=5) as client:
        while (await client.get("/health/ready")).status_code != 200:
            assert time.monotonic() < give_up, "API 2 never rebuilt the inventory Redis lost"
            await asyncio.sleep(0.2)
