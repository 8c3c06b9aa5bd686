"""/v1/ops: operator keys only; the inbox listed by status, a page at a time."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Api, World
from tests.e2e.webhooks.conftest import Stripe
from tests.fakes.webhooks import RecordingWebhookHandler

LIST = "/v1/ops/webhooks"
REPLAY = "/v1/ops/webhooks/evt_1/replay"


@pytest.mark.parametrize(("method", "path"), [("GET", LIST), ("POST", REPLAY)])
async def test_only_operator_keys_get_in(world: World, operator: Api, method: str, path: str) -> None:
    anonymous = await world.client.request(method, path)
    wrong = await world.client.request(method, path, headers={"X-API-Key": "hf_nobody"})
    tenant = await world.client.request(method, path, headers={"X-API-Key": world.api.key})

    assert [anonymous.status_code, wrong.status_code, tenant.status_code] == [401, 401, 403]
    assert [anonymous.json()["code"], tenant.json()["code"]] == ["unauthenticated", "forbidden"]
    assert tenant.headers["content-type"].startswith("application/problem+json")
    allowed = await world.client.request(method, path, headers={"X-API-Key": operator.key})
    assert allowed.status_code == (200 if method == "GET" else 404), allowed.text


async def test_the_list_filters_by_status_and_pages(
    world: World, stripe: Stripe, handler: RecordingWebhookHandler, operator: Api
) -> None:
    handler.failures = 2
    for n in range(5):
        await stripe.send(f"evt_{n}", "payment_intent.succeeded" if n < 3 else "customer.created")
        world.clock.advance(1)

    by_status = {}
    for status in ("failed", "processed", "ignored", "dead", "received"):
        response = await operator.get(LIST, params={"status": status})
        assert response.status_code == 200, response.text
        by_status[status] = [item["id"] for item in response.json()["items"]]
    assert by_status == {
        "failed": ["evt_0", "evt_1"],
        "processed": ["evt_2"],
        "ignored": ["evt_3", "evt_4"],
        "dead": [],
        "received": [],
    }

    seen, cursor = [], None
    while True:
        page = (await operator.get(LIST, params={"limit": 2, **({"cursor": cursor} if cursor else {})})).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"evt_{n}" for n in range(5)]
    failed = (await operator.get(LIST, params={"status": "failed"})).json()["items"][0]
    assert failed["attempts"] == 1
    assert failed["last_error"].startswith("HandlerFailedError")


@pytest.mark.parametrize(
    "params", [{"status": "lost"}, {"limit": 0}, {"limit": 201}, {"cursor": "not-a-cursor"}, {"cursor": "!!"}]
)
async def test_bad_list_parameters_are_400(operator: Api, params: dict[str, object]) -> None:
    response = await operator.get(LIST, params=params)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "validation_failed"


async def test_replaying_an_unknown_event_is_404(operator: Api) -> None:
    response = await operator.post("/v1/ops/webhooks/evt_unknown/replay")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_the_webhook_and_ops_routes_are_documented(world: World) -> None:
    spec = (await world.client.get("/schema/openapi.json")).json()
    webhook = spec["paths"]["/v1/webhooks/stripe"]["post"]
    assert "invalid_signature" in webhook["responses"]["400"]["description"]
    assert "401" not in webhook["responses"]
    assert not webhook.get("security")
    listing = spec["paths"]["/v1/ops/webhooks"]["get"]
    assert "forbidden" in listing["responses"]["403"]["description"]
    assert listing["security"] == [{"ApiKey": []}]
    assert "/v1/ops/webhooks/{event_id}/replay" in spec["paths"]


async def test_an_overlong_event_id_is_400(operator: Api) -> None:
    response = await operator.post(f"/v1/ops/webhooks/evt_{'x' * 300}/replay")
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "validation_failed"


async def test_a_replay_sent_twice_with_one_idempotency_key_runs_once(operator: Api) -> None:
    key = {"Idempotency-Key": "replay-once"}
    first = await operator.post("/v1/ops/webhooks/evt_unknown/replay", headers=key)
    again = await operator.post("/v1/ops/webhooks/evt_unknown/replay", headers=key)
    assert first.status_code == again.status_code == 404
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
