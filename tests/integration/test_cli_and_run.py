"""What `make run` does, step by step, through the real `holdfast` command: migrate, load the
demo data (twice: the second run keeps it), serve, and answer with the printed demo key."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.holdfast_cli import HOLDFAST, cli_env, holdfast
from tests.servers import free_port


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path, HOLDFAST_PORT=str(free_port()))


@pytest.fixture
def served(env: dict[str, str]) -> Iterator[str]:
    for step in (("migrate",), ("seed-demo",), ("seed-demo",)):
        result = holdfast(env, *step)
        assert result.returncode == 0, result.stderr
    server = subprocess.Popen([*HOLDFAST, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{env['HOLDFAST_PORT']}"
    try:
        _wait_for(base, server)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)


def _wait_for(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stdout.read().decode() if server.stdout else "server exited"
        try:
            if httpx.get(f"{base}/health/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail("the server did not become ready in 30 s")


def test_seed_demo_prints_the_key_and_is_idempotent(env: dict[str, str]) -> None:
    assert holdfast(env, "migrate").returncode == 0
    first = holdfast(env, "seed-demo")
    second = holdfast(env, "seed-demo")
    assert "demo data loaded" in first.stdout
    assert "demo data already present" in second.stdout
    key = first.stdout.rsplit("demo API key: ", 1)[1].strip()
    assert key in second.stdout


def test_the_served_demo_answers_with_the_demo_key(served: str, env: dict[str, str]) -> None:
    key = holdfast(env, "seed-demo").stdout.rsplit("demo API key: ", 1)[1].strip()
    listings = httpx.get(f"{served}/v1/listings", headers={"X-API-Key": key}).json()["items"]
    assert sorted(item["kind"] for item in listings) == ["event_show", "flight", "stay_property"]
    show = next(item for item in listings if item["kind"] == "event_show")
    availability = httpx.get(f"{served}/v1/listings/{show['id']}/availability", headers={"X-API-Key": key}).json()
    assert [(p["code"], p["available"]) for p in availability["pools"]] == [
        ("zone-a", 500),
        ("zone-b", 300),
        ("balcony", 120),
    ]


def test_a_bad_setting_stops_start_up_naming_it(env: dict[str, str]) -> None:
    result = holdfast({**env, "HOLDFAST_INVENTORY_ENGINE": "mongo"}, "serve")
    assert result.returncode == 2
    assert "HOLDFAST_INVENTORY_ENGINE" in result.stderr


def test_a_taken_port_is_said_before_listening_naming_the_setting(env: dict[str, str]) -> None:
    assert holdfast(env, "migrate").returncode == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", int(env["HOLDFAST_PORT"])))
        taken.listen()
        result = holdfast(env, "serve")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "listening" not in result.stdout
    assert "Traceback" not in result.stderr
    assert f"port {env['HOLDFAST_PORT']} on 127.0.0.1 is taken" in result.stderr
    assert "HOLDFAST_PORT" in result.stderr
