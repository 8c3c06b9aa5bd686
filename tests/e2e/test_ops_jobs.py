"""/v1/ops/jobs: the queue, dead letters and their replay, and running a periodic job now.

The world's app does not run its lifespan, so the in-process queue holds what is enqueued
without running it: the tests read what was queued from the queue's own counts.
"""

from __future__ import annotations

from uuid import uuid4

import pytest

from application.ports.jobs import DeadLetter
from tests.e2e.conftest import Api, World

JOBS = "/v1/ops/jobs"


async def _dead_letter(world: World, job: str = "expire_holds", **args: object) -> DeadLetter:
    letter = DeadLetter(uuid4(), job, args, None, "Traceback...\nRuntimeError: boom", 5, world.clock.now())
    await world.container.gateways.dead_letters().add(letter)
    return letter


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", JOBS), ("get", f"{JOBS}/dead-letters"), ("post", f"{JOBS}/expire_holds/run")],
)
async def test_only_operator_keys_get_in(world: World, operator: Api, method: str, path: str) -> None:
    refused = await getattr(world.api, method)(path)
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    allowed = await getattr(operator, method)(path)
    assert allowed.status_code in (200, 202), allowed.text


async def test_the_status_counts_the_queue_and_the_dead_letters(world: World, operator: Api) -> None:
    before = (await operator.get(JOBS)).json()
    assert before == {
        "queue": "in-process",
        "queued": 0,
        "scheduled": 0,
        "active": 0,
        "dead_letters": 0,
        "failing": [],
    }

    await _dead_letter(world)
    await world.container.gateways.jobs().enqueue("expire_holds")

    after = (await operator.get(JOBS)).json()
    assert (after["queued"], after["dead_letters"]) == (1, 1)


async def test_dead_letters_are_listed_newest_first_and_replay_once(world: World, operator: Api) -> None:
    older = await _dead_letter(world, "purge_idempotency")
    world.clock.advance(60)
    newer = await _dead_letter(world, "retry_webhook_events", note="second")

    listed = (await operator.get(f"{JOBS}/dead-letters")).json()
    assert [letter["id"] for letter in listed] == [str(newer.id), str(older.id)]
    assert listed[0]["args"] == {"note": "second"}
    assert listed[0]["error"].endswith("RuntimeError: boom")

    replayed = await operator.post(f"{JOBS}/dead-letters/{newer.id}/replay")
    assert replayed.status_code == 200, replayed.text
    assert replayed.json()["replay_job_id"] == f"replay:{newer.id}"
    assert replayed.json()["replayed_at"] is not None
    assert (await world.container.gateways.jobs().stats()).queued == 1

    again = await operator.post(f"{JOBS}/dead-letters/{newer.id}/replay")
    assert (again.status_code, again.json()["code"]) == (409, "conflict")
    assert (await world.container.gateways.jobs().stats()).queued == 1

    waiting = (await operator.get(f"{JOBS}/dead-letters")).json()
    assert [letter["id"] for letter in waiting] == [str(older.id)]
    everything = (await operator.get(f"{JOBS}/dead-letters", params={"include_replayed": "true"})).json()
    assert len(everything) == 2


async def test_replaying_an_unknown_letter_is_not_found(operator: Api) -> None:
    response = await operator.post(f"{JOBS}/dead-letters/{uuid4()}/replay")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


async def test_a_periodic_job_runs_now_once_however_often_asked(world: World, operator: Api) -> None:
    first = await operator.post(f"{JOBS}/expire_holds/run")
    second = await operator.post(f"{JOBS}/expire_holds/run")
    assert first.status_code == 202, first.text
    assert first.json() == second.json() == {"job": "expire_holds", "job_id": "cron:expire_holds"}
    assert (await world.container.gateways.jobs().stats()).queued == 1


@pytest.mark.parametrize(
    ("name", "status", "code"), [("no_such_job", 404, "not_found"), ("Expire-Holds", 400, "validation_failed")]
)
async def test_running_an_unknown_job_is_refused(operator: Api, name: str, status: int, code: str) -> None:
    response = await operator.post(f"{JOBS}/{name}/run")
    assert (response.status_code, response.json()["code"]) == (status, code)


async def test_a_periodic_job_failing_round_after_round_is_shown_until_a_round_succeeds(
    world: World, operator: Api
) -> None:
    rounds = world.container.gateways.failed_rounds()
    for _ in range(2):
        await rounds.failed("relay_outbox", "Traceback...\nRuntimeError: relay down")

    failing = (await operator.get(JOBS)).json()["failing"]
    assert [(found["job"], found["rounds"]) for found in failing] == [("relay_outbox", 2)]
    assert failing[0]["last_error"].endswith("RuntimeError: relay down")
    sanity = (await operator.get("/v1/ops/env-sanity")).json()
    assert sanity["status"] == "degraded"
    assert "job relay_outbox failed its last 2 rounds in a row" in " ".join(sanity["warnings"])
    assert 'holdfast_job_consecutive_failures{job="relay_outbox"} 2.0' in (await world.client.get("/metrics")).text
    assert await world.container.gateways.dead_letters().count() == 0  # 2 rounds: fewer than make a letter

    await rounds.succeeded("relay_outbox")
    assert (await operator.get(JOBS)).json()["failing"] == []
    assert (await operator.get("/v1/ops/env-sanity")).json()["status"] == "ok"
    assert 'holdfast_job_consecutive_failures{job="relay_outbox"} 0.0' in (await world.client.get("/metrics")).text
