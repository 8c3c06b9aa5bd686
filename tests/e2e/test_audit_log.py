"""The audit log over HTTP: each write recorded once, in its own transaction, with who did it
and from where, PII masked; nothing for a refused or rolled-back write; the tenant's list,
filtered and paged, and only its own rows."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import uuid4

from application.ports.jobs import DeadLetter
from tests.e2e.conftest import Api, World
from tests.e2e.helpers import hold, make_listing, pay
from tests.e2e.identity_helpers import PASSWORD, cheap_hashing, customer, refresh, tenant_id

AUDIT = "/v1/admin/audit-logs"
CLIENT = {"User-Agent": "audit-test/1.0", "X-Correlation-ID": "corr-audit-1"}


async def _rows(api: Api, **filters: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {**filters, "limit": 200, **({"cursor": cursor} if cursor else {})}
        response = await api.get(AUDIT, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        rows += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return rows


async def _subject(world: World, api: Api) -> str:
    actor = await world.container.use_cases.authenticate()(api.key)
    return str(actor.subject)


async def _written(world: World) -> list[dict[str, Any]]:
    """acme's rows but the fixture's own tenant registration."""
    return [row for row in await _rows(world.api) if row["action"] != "tenant.register"]


async def test_each_write_route_records_one_row_with_its_request(world: World) -> None:
    api = world.api
    listing = await api.post("/v1/listings", {"kind": "event_show", "name": "Gala"}, headers=CLIENT)
    assert listing.status_code == 201, listing.text
    listing_id = listing.json()["id"]
    pool_body = {"code": "a", "capacity": 5, "unit_price": 0, "currency": "EUR"}
    pool = await api.post(f"/v1/listings/{listing_id}/pools", pool_body, headers=CLIENT)
    assert pool.status_code == 201, pool.text
    pool_id = pool.json()["id"]
    resized = await api.patch(f"/v1/pools/{pool_id}", {"capacity": 7}, headers=CLIENT)
    assert resized.status_code == 200, resized.text

    rows = await _written(world)
    subject = await _subject(world, api)
    assert [(r["action"], r["entity_type"], r["entity_id"]) for r in rows] == [
        ("listing.create", "listing", listing_id),
        ("pool.create", "pool", pool_id),
        ("pool.resize", "pool", pool_id),
    ]
    for row in rows:
        assert row["actor"] == subject
        assert row["role"] == "admin"
        assert row["ip"] == "127.0.0.1"
        assert row["user_agent"] == "audit-test/1.0"
        assert row["correlation_id"] == "corr-audit-1"
    assert rows[0]["after"]["title"] == "Gala"
    assert rows[2]["before"] == {"capacity": 5}
    assert rows[2]["after"] == {"capacity": 7}


async def test_bookings_and_their_cancellation_are_audited_with_pii_masked(world: World) -> None:
    api = world.api
    listing_id, pools = await make_listing(api, (("a", 5, 0),))
    held = await hold(api, listing_id, {pools["a"]: 1}, customer="jane.doe@example.com")
    assert held.status_code == 201, held.text
    body = {"hold_id": held.json()["id"], "contact_email": "jane.doe@example.com"}
    booked = await api.post("/v1/bookings", body, headers=CLIENT)
    assert booked.status_code == 201, booked.text
    booking_id = booked.json()["id"]
    cancelled = await api.post(f"/v1/bookings/{booking_id}/cancel", {"reason": "changed plans"}, headers=CLIENT)
    assert cancelled.status_code == 200, cancelled.text

    created = await _rows(api, entity_type="booking", entity_id=booking_id)
    assert [row["action"] for row in created] == ["booking.create", "booking.cancel"]
    for row in created:
        assert row["correlation_id"] == "corr-audit-1"
        assert row["user_agent"] == "audit-test/1.0"
        assert row["actor"] == await _subject(world, api)
    assert created[0]["after"]["contact_email"] == "j***@example.com"
    assert created[0]["after"]["customer_ref"] == "j***@example.com"
    assert created[1]["before"] == {"status": "confirmed"}
    assert created[1]["after"]["status"] == "cancelled"
    for row in await _rows(api):
        assert "jane.doe" not in str(row)


async def test_a_refused_write_records_nothing(world: World) -> None:
    api = world.api
    _listing_id, _pools = await make_listing(api, (("a", 5, 0),))
    before = await _written(world)
    bad = await api.post("/v1/listings", {"kind": "event_show", "name": ""})
    assert 400 <= bad.status_code < 500
    missing = await api.patch("/v1/pools/00000000-0000-0000-0000-000000000001", {"capacity": 3})
    assert missing.status_code == 404
    assert await _written(world) == before


async def test_a_rolled_back_write_leaves_no_row(world: World) -> None:
    """Resizing below what is held: the pool's new capacity and its audit row are written in the
    unit of work, then the engine refuses and the transaction rolls back, both with it."""
    api = world.api
    listing_id, pools = await make_listing(api, (("a", 5, 0),))
    held = await hold(api, listing_id, {pools["a"]: 4})
    assert held.status_code == 201, held.text
    before = await _written(world)
    refused = await api.patch(f"/v1/pools/{pools['a']}", {"capacity": 2})
    assert refused.status_code == 409, refused.text
    assert await _written(world) == before
    assert not [row for row in before if row["action"] == "pool.resize"]


async def test_a_tenant_lists_only_its_own_rows(world: World) -> None:
    await make_listing(world.api)
    await make_listing(world.other)
    mine = await _rows(world.api)
    theirs = await _rows(world.other)
    acme_ids = {row["id"] for row in mine}
    assert acme_ids
    assert not acme_ids & {row["id"] for row in theirs}
    assert {row["actor"] for row in theirs} <= {await _subject(world, world.other), "system:unknown"}
    listing_rows = [row for row in mine if row["action"] == "listing.create"]
    by_other = await _rows(world.other, entity_id=listing_rows[0]["entity_id"])
    assert by_other == []


async def test_filters_and_pages(world: World) -> None:
    api = world.api
    for _ in range(3):
        await make_listing(api)
        world.clock.advance(60)
    listings = await _rows(api, action="listing.create")
    assert len(listings) == 3
    pools = await _rows(api, entity_type="pool")
    assert len(pools) == 3
    assert {row["action"] for row in pools} == {"pool.create"}
    assert await _rows(api, actor=await _subject(world, api), action="listing.create") == listings
    assert await _rows(api, actor="key:00000000-0000-0000-0000-000000000000") == []
    second = listings[1]["occurred_at"]
    assert await _rows(api, action="listing.create", since=second) == listings[1:]
    assert await _rows(api, action="listing.create", until=second) == listings[:1]

    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        response = await api.get(AUDIT, params={"limit": 2, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200
        seen += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == await _rows(api)
    assert len(seen) == 7  # registration, 3 listings, 3 pools


async def test_bad_filters_are_problems(world: World) -> None:
    api = world.api
    for params in (
        {"since": "2030-01-02T00:00:00Z", "until": "2030-01-01T00:00:00Z"},
        {"since": "2030-01-02T00:00:00"},
        {"since": "yesterday"},
        {"action": "DROP TABLE"},
        {"cursor": "!!"},
        {"limit": 0},
        {"actor": "a\nb"},
    ):
        response = await api.get(AUDIT, params=params)
        assert response.status_code == 400, (params, response.text)
        assert response.headers["content-type"].startswith("application/problem+json"), params
        assert response.json()["code"] == "validation_failed", params


async def test_hold_events_are_audited_once(world: World) -> None:
    """Placings, releases and expiries, each once, with who asked and when. On the redis engine
    the hold path writes nothing to Postgres: they reach the audit log through ``journal_holds``
    (run here as its job would). On the sql engine each is written in the hold's transaction."""
    api = world.api
    redis = world.container.core.settings().inventory_engine == "redis"
    listing_id, pools = await make_listing(api, (("a", 5, 0),))
    body = {
        "listing_id": listing_id,
        "customer_ref": "jane@example.com",
        "lines": [{"pool_id": pools["a"], "quantity": 1}],
    }
    placed = await api.post("/v1/holds", body, headers=CLIENT)
    assert placed.status_code == 201, placed.text
    released = await api.delete(f"/v1/holds/{placed.json()['id']}", headers=CLIENT)
    assert released.status_code == 200, released.text
    lapsing = await hold(api, listing_id, {pools["a"]: 2}, ttl_seconds=5)
    assert lapsing.status_code == 201, lapsing.text
    refused = await hold(api, listing_id, {pools["a"]: 9})
    assert refused.status_code == 409, refused.text
    world.clock.advance(10)
    assert len(await world.container.use_cases.expire_holds()()) == 1
    if redis:
        assert await _rows(api, action="hold.place") == []  # nothing yet: Redis alone saw the holds
    journal = world.container.use_cases.journal_holds()
    await journal()
    await journal()  # entries read again change nothing, and are not audited twice

    subject = await _subject(world, api)
    first = await _rows(api, entity_id=placed.json()["id"])
    assert [row["action"] for row in first] == ["hold.place", "hold.release"]
    for row in first:
        assert (row["actor"], row["role"], row["correlation_id"]) == (subject, "admin", "corr-audit-1")
        assert row["ip"] == "127.0.0.1"
    assert first[0]["after"]["customer_ref"] == "j***@example.com"
    assert first[0]["after"]["lines"] == [{"pool_id": pools["a"], "quantity": 1}]
    assert first[1]["after"] == {"status": "released"}
    expired = await _rows(api, entity_id=lapsing.json()["id"])
    assert [(row["action"], row["actor"], row["role"]) for row in expired] == [
        ("hold.place", subject, "admin"),
        ("hold.expire", "system:expiry", "system"),
    ]
    assert len(await _rows(api, entity_type="hold")) == 4  # the refused hold left none
    assert "jane@" not in str(await _rows(api))


async def test_payments_and_refunds_are_audited_with_who_moved_them(world: World) -> None:
    """A paid booking: created by the key, paid by Stripe's signed webhook, refunded by the key."""
    api = world.api
    listing_id, pools = await make_listing(api, (("a", 5, 2500),))
    held = await hold(api, listing_id, {pools["a"]: 1})
    assert held.status_code == 201, held.text
    booked = await api.post("/v1/bookings", {"hold_id": held.json()["id"]}, headers=CLIENT)
    assert booked.status_code == 201, booked.text
    booking = booked.json()
    await pay(world, booking)
    refunded = await api.post(f"/v1/bookings/{booking['id']}/refunds", {"amount": 1000}, headers=CLIENT)
    assert refunded.status_code in (201, 202), refunded.text
    rows = await _rows(api, entity_type="booking", entity_id=booking["id"])
    subject = await _subject(world, api)
    assert [(row["action"], row["actor"]) for row in rows] == [
        ("booking.create", subject),
        ("booking.payment_capture", "provider:stripe"),
        ("booking.refund", subject),
    ]
    assert rows[1]["before"] == {"status": "pending_payment"}
    assert rows[1]["after"] == {"status": "confirmed", "captured": 2500}
    assert rows[2]["after"]["amount"] == 1000
    assert await _rows(api, action="booking.refund") == rows[2:]
    settled = await _rows(api, entity_type="refund")
    assert [(row["action"], row["actor"], row["entity_id"]) for row in settled] == [
        ("refund.settle", subject, rows[2]["after"]["refund_id"])
    ]
    assert settled[0]["after"]["state"] == "succeeded"


async def test_webhook_endpoint_writes_are_audited_without_their_secret(world: World) -> None:
    api = world.api
    created = await api.post(
        "/v1/webhook-endpoints", {"url": "http://127.0.0.1:9/hook", "event_types": ["*"]}, headers=CLIENT
    )
    assert created.status_code == 201, created.text
    endpoint = created.json()
    enabled = await api.post(f"/v1/webhook-endpoints/{endpoint['id']}/enable", headers=CLIENT)
    assert enabled.status_code == 200, enabled.text
    deleted = await api.delete(f"/v1/webhook-endpoints/{endpoint['id']}", headers=CLIENT)
    assert deleted.status_code in (200, 204), deleted.text
    rows = await _rows(api, entity_type="webhook_endpoint")
    assert [row["action"] for row in rows] == [
        "webhook_endpoint.create",
        "webhook_endpoint.enable",
        "webhook_endpoint.delete",
    ]
    assert {row["actor"] for row in rows} == {await _subject(world, api)}
    assert {row["correlation_id"] for row in rows} == {"corr-audit-1"}
    assert rows[0]["after"] == {"url": "http://127.0.0.1:9/hook", "event_types": ["*"]}
    assert "whsec_" not in str(rows)


async def test_an_operator_running_a_job_is_audited_for_the_operators_tenant(world: World, operator: Api) -> None:
    ran = await operator.post("/v1/ops/jobs/purge_old_records/run", headers=CLIENT)
    assert ran.status_code in (200, 202), ran.text
    refused = await operator.post("/v1/ops/jobs/no_such_job/run")
    assert refused.status_code == 404, refused.text
    rows = await _rows(operator, action="job.run")
    assert len(rows) == 1
    assert (rows[0]["entity_type"], rows[0]["entity_id"], rows[0]["role"]) == ("job", "purge_old_records", "operator")
    assert rows[0]["actor"].startswith("operator:")
    assert rows[0]["correlation_id"] == "corr-audit-1"
    assert await _rows(world.api, action="job.run") == []  # another tenant's operator: not acme's


async def test_bookings_written_together_keep_each_requests_own_context(world: World) -> None:
    """Concurrent free bookings may share one transaction (redis: a group commit, run in the
    task of whichever request started it): each row still names its own request."""
    api = world.api
    listing_id, pools = await make_listing(api, (("a", 20, 0),))
    holds = []
    for n in range(6):
        placed = await hold(api, listing_id, {pools["a"]: 1}, customer=f"c{n}")
        assert placed.status_code == 201, placed.text
        holds.append(placed.json()["id"])

    async def book(n: int, hold_id: str) -> str:
        headers = {"X-Correlation-ID": f"corr-book-{n}", "User-Agent": f"agent-{n}"}
        response = await api.post("/v1/bookings", {"hold_id": hold_id}, headers=headers)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    booked = await asyncio.gather(*(book(n, hold_id) for n, hold_id in enumerate(holds)))
    rows = {row["entity_id"]: row for row in await _rows(api, action="booking.create")}
    assert set(rows) == set(booked)
    for n, booking_id in enumerate(booked):
        assert (rows[booking_id]["correlation_id"], rows[booking_id]["user_agent"]) == (f"corr-book-{n}", f"agent-{n}")


async def test_a_replayed_idempotent_request_records_nothing_more(world: World) -> None:
    api = world.api
    headers = {"Idempotency-Key": "audit-once"}
    for _ in range(2):
        created = await api.post("/v1/listings", {"kind": "event_show", "name": "Once"}, headers=headers)
        assert created.status_code == 201, created.text
    assert len(await _rows(api, action="listing.create")) == 1


async def test_a_dead_letter_replay_is_audited_once(world: World, operator: Api) -> None:
    letter = DeadLetter(uuid4(), "expire_holds", {}, None, "RuntimeError: boom", 5, world.clock.now())
    await world.container.gateways.dead_letters().add(letter)
    replayed = await operator.post(f"/v1/ops/jobs/dead-letters/{letter.id}/replay", headers=CLIENT)
    assert replayed.status_code == 200, replayed.text
    again = await operator.post(f"/v1/ops/jobs/dead-letters/{letter.id}/replay")
    assert again.status_code == 409, again.text
    rows = await _rows(operator, action="dead_letter.replay")
    assert [(row["entity_id"], row["role"], row["correlation_id"]) for row in rows] == [
        (str(letter.id), "operator", "corr-audit-1")
    ]
    assert rows[0]["after"] == {"job": "expire_holds"}


async def test_sign_in_staff_key_and_queue_writes_are_audited_without_secrets(world: World) -> None:
    """The writes of users, sessions, managed keys and waiting-room settings: one row each,
    under the actor who made them (anonymous for the public sign-in routes), never a password,
    a token or a key in the clear."""
    cheap_hashing(world)
    tenant = await tenant_id(world)
    ada = await customer(world, "ada.lovelace@example.com", tenant)  # register, then login
    invited = await world.api.post("/v1/staff", {"email": "sam@example.com", "name": "Sam", "role": "manager"})
    assert invited.status_code == 201, invited.text
    token = invited.json()["invitation_token"]
    accepted = await world.client.post("/v1/auth/accept-invitation", json={"token": token, "password": PASSWORD})
    assert accepted.status_code == 200, accepted.text
    changed = await ada.patch("/v1/auth/me", {"name": "Ada L."})
    assert changed.status_code == 200, changed.text
    first = await refresh(world, ada.refresh)
    assert first.status_code == 200, first.text
    assert (await refresh(world, ada.refresh)).status_code == 401  # the used token again: reuse
    key = await world.api.post("/v1/api-keys", {"label": "till", "role": "staff"})
    assert key.status_code == 201, key.text
    assert (await world.api.delete(f"/v1/api-keys/{key.json()['id']}")).status_code == 204
    listing_id, _ = await make_listing(world.api, (("a", 5, 0),))
    queued = await world.api.patch(f"/v1/listings/{listing_id}", {"queue": {"enabled": True}})
    assert queued.status_code == 200, queued.text
    staff_id = invited.json()["user"]["id"]
    assert (await world.api.delete(f"/v1/staff/{staff_id}")).status_code == 200

    rows = await _written(world)
    actions = [row["action"] for row in rows]
    expected = [
        "user.register",
        "session.login",
        "user.invite",
        "user.accept_invitation",
        "user.update",
        "security.refresh_token_reuse",
        "api_key.create",
        "api_key.revoke",
        "listing.create",
        "pool.create",
        "listing.queue",
        "user.disable",
    ]
    assert [action for action in actions if action in expected] == expected
    by_action = {row["action"]: row for row in rows}
    assert by_action["user.register"]["actor"] == "anonymous"
    assert by_action["user.update"]["actor"] == f"user:{ada.id}"
    assert by_action["user.update"]["role"] == "customer"
    assert by_action["user.invite"]["role"] == "admin"
    assert by_action["listing.queue"]["before"]["enabled"] is False
    assert by_action["listing.queue"]["after"]["enabled"] is True
    everything = str(rows)
    for secret in (PASSWORD, token, key.json()["key"], ada.refresh, "ada.lovelace@example.com"):
        assert secret not in everything
