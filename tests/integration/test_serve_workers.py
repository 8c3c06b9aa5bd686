"""``holdfast serve`` runs HOLDFAST_WORKERS processes on one port and stops gracefully.

Real processes on a real Postgres: the supervisor's workers are its children and each of them
answers connections on the one port (found in /proc); SIGTERM lets a request already in flight
finish before the process exits 0; a SIGKILLed supervisor leaves no worker holding the port.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import httpx
import pytest

from tests.databases import migrated_postgres
from tests.integration.worker_stack import serve
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
HOLDFAST = [sys.executable, "-m", "interfaces.cli"]
# Bounds on waiting, not timings under test: a process still up this long never stopped.
EXIT_DEADLINE = 60


@pytest.fixture
def env(postgres_url: str) -> dict[str, str]:
    base = {key: value for key, value in os.environ.items() if not key.startswith("HOLDFAST_")}
    return {
        **base,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "PYTHONUNBUFFERED": "1",
        "HOLDFAST_DATABASE_URL": migrated_postgres(postgres_url, "holdfast_serve_workers"),
        "HOLDFAST_WORKERS": "2",
        "HOLDFAST_EXPIRY_SWEEP_SECONDS": "0",
    }


@pytest.fixture
def served(env: dict[str, str], tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, Path]]:
    log = tmp_path / "serve.log"
    process, base = serve(env, log, ready="/health/ready")
    try:
        yield process, base, log
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=EXIT_DEADLINE)


def _worker_pids(log: Path, count: int) -> list[int]:
    """The pids granian logs as it spawns its workers (every one, once all are up)."""
    deadline = time.monotonic() + EXIT_DEADLINE
    while time.monotonic() < deadline:
        pids = [int(pid) for pid in re.findall(r"Spawning worker-\d+ with PID: (\d+)", log.read_text())]
        if len(pids) == count:
            return pids
        time.sleep(0.1)
    pytest.fail(f"not {count} workers: {log.read_text()}")


def _parent(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def _wait_for_lines(log: Path, pattern: str, count: int) -> None:
    deadline = time.monotonic() + EXIT_DEADLINE
    while time.monotonic() < deadline:
        if len(re.findall(pattern, log.read_text())) >= count:
            return
        time.sleep(0.05)
    pytest.fail(f"never {count} lines matching {pattern!r}: {log.read_text()}")


def test_two_workers_are_children_of_serve_and_both_answer_on_the_one_port(
    served: tuple[subprocess.Popen[bytes], str, Path],
) -> None:
    process, base, log = served
    workers = _worker_pids(log, 2)
    assert len(set(workers)) == 2
    assert all(_parent(pid) == process.pid for pid in workers)
    port = int(base.rsplit(":", 1)[1])
    answered_by: set[int] = set()
    # Which process accepts a connection is the kernel's choice: open new ones (each answered
    # in full) until both workers have been seen owning one, within a bound no fair spread misses.
    for _ in range(MOST_CONNECTIONS):
        with socket.create_connection(("127.0.0.1", port), timeout=EXIT_DEADLINE) as client:
            client.sendall(b"GET /health/live HTTP/1.1\r\nHost: holdfast\r\n\r\n")
            assert _read_response(client).startswith(b"HTTP/1.1 200"), "a worker did not answer"
            answered_by.add(_owner(client, port, workers))
        if answered_by == set(workers):
            break
    assert answered_by == set(workers)


MOST_CONNECTIONS = 200


def _owner(client: socket.socket, port: int, pids: list[int]) -> int:
    """The process holding the server's end of ``client``'s connection (from /proc)."""
    client_port = client.getsockname()[1]
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1], fields[2]
        if int(local.split(":")[1], 16) == port and int(remote.split(":")[1], 16) == client_port:
            inodes.add(fields[9])
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:  # closed meanwhile
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                return pid
    pytest.fail(f"no worker holds the connection from port {client_port}")


def test_sigterm_lets_the_request_in_flight_finish_then_exits_0(
    served: tuple[subprocess.Popen[bytes], str, Path], env: dict[str, str]
) -> None:
    process, base, log = served
    _worker_pids(log, 2)
    created = subprocess.run(
        [*HOLDFAST, "create-tenant", f"serve-{uuid4().hex[:8]}"], env=env, capture_output=True, text=True, check=True
    )
    key = created.stdout.rsplit(" ", 1)[1].strip()
    body = (
        f'{{"listing_id":"{uuid4()}","customer_ref":"c1","lines":[{{"pool_id":"{uuid4()}","quantity":1}}]}}'
    ).encode()
    head = (
        f"POST /v1/holds HTTP/1.1\r\nHost: {base.removeprefix('http://')}\r\nContent-Type: application/json\r\n"
        f"X-API-Key: {key}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=EXIT_DEADLINE) as client:
        client.sendall(head + body[:10])  # the request is in flight: the rest of its body is to come
        process.send_signal(signal.SIGTERM)
        # Each worker logs this when it has taken the signal and stopped accepting.
        _wait_for_lines(log, r"Stopping worker-\d+", 2)
        client.sendall(body[10:])
        answer = _read_response(client)
    assert answer.startswith(b"HTTP/1.1 404"), answer
    assert b"application/problem+json" in answer
    assert process.wait(timeout=EXIT_DEADLINE) == 0, log.read_text()
    assert "Granian shutdown completed" in log.read_text()


def _read_response(client: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = client.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = re.search(rb"(?i)content-length: (\d+)", head)
    while length and len(rest) < int(length.group(1)):
        chunk = client.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head + b"\r\n\r\n" + rest


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"HOLDFAST_WORKERS": "0"}, "HOLDFAST_WORKERS must be a whole number from 1 to 64, got '0'"),
        ({"HOLDFAST_WORKERS": "many"}, "HOLDFAST_WORKERS must be a whole number from 1 to 64, got 'many'"),
        (
            {"HOLDFAST_WORKERS": "2", "HOLDFAST_DATABASE_URL": "sqlite+aiosqlite:///{tmp}/h.db"},
            "HOLDFAST_WORKERS must be 1 with SQLite",
        ),
    ],
)
def test_a_bad_worker_count_stops_start_up_naming_it(
    env: dict[str, str], tmp_path: Path, extra: dict[str, str], message: str
) -> None:
    run_env = {**env, "HOLDFAST_PORT": str(free_port())}
    run_env.update({name: value.format(tmp=tmp_path) for name, value in extra.items()})
    result = subprocess.run([*HOLDFAST, "serve"], env=run_env, capture_output=True, text=True, timeout=EXIT_DEADLINE)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr


def test_workers_die_with_a_killed_supervisor_and_free_the_port(
    served: tuple[subprocess.Popen[bytes], str, Path],
) -> None:
    process, base, log = served
    _worker_pids(log, 2)
    _wait_for_lines(log, r"Started worker-\d+", 2)  # both up: neither is still arming its parent-death signal
    workers = _worker_pids_all(log)  # a worker respawned on a busy machine counts too
    process.kill()
    process.wait(timeout=EXIT_DEADLINE)
    deadline = time.monotonic() + EXIT_DEADLINE
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in workers), "orphaned workers still hold the port"
    assert _bindable(int(base.rsplit(":", 1)[1]), deadline), "the port is still held"  # a restart can bind it


def _bindable(port: int, deadline: float) -> bool:
    """Whether the port can be bound before ``deadline`` (the kernel lets go of a dead process's
    listening socket once it is reaped, which can trail the exit on a busy machine)."""
    while True:
        with socket.socket() as again:
            again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                again.bind(("127.0.0.1", port))
            except OSError:
                if time.monotonic() > deadline:
                    return False
                time.sleep(0.1)
                continue
            return True


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has exited; only its parent's reaping is left


def test_a_worker_that_dies_is_replaced_while_the_other_serves(
    served: tuple[subprocess.Popen[bytes], str, Path],
) -> None:
    process, base, log = served
    first, second = _worker_pids(log, 2)
    _wait_for_lines(log, r"Started worker-\d+", 2)  # killed once started, so a third start is the replacement
    os.kill(first, signal.SIGKILL)
    _wait_for_lines(log, r"Spawning worker-\d+ with PID: \d+", 3)
    replacement = _worker_pids_all(log)[-1]
    assert replacement not in (first, second)
    assert _parent(replacement) == process.pid
    _wait_for_lines(log, r"Started worker-\d+", 3)
    assert httpx.get(f"{base}/health/ready", timeout=30).status_code == 200
    assert process.poll() is None


def _worker_pids_all(log: Path) -> list[int]:
    return [int(pid) for pid in re.findall(r"Spawning worker-\d+ with PID: (\d+)", log.read_text())]


def test_a_scrape_reports_every_workers_requests_whichever_worker_answers_it(
    served: tuple[subprocess.Popen[bytes], str, Path],
) -> None:
    process, base, log = served
    workers = _worker_pids(log, 2)
    _wait_for_lines(log, r"Started worker-\d+", 2)
    port = int(base.rsplit(":", 1)[1])
    answered_by: list[int] = []
    # Fresh connections until both workers have answered some (the kernel picks the worker).
    while set(answered_by) != set(workers) or len(answered_by) < 10:
        assert len(answered_by) < MOST_CONNECTIONS, f"one worker answered every connection: {answered_by}"
        answered_by.append(_live_on_a_new_connection(port, workers))
    scraped_by: set[int] = set()
    for _ in range(MOST_CONNECTIONS):
        with socket.create_connection(("127.0.0.1", port), timeout=EXIT_DEADLINE) as client:
            client.sendall(b"GET /metrics HTTP/1.1\r\nHost: holdfast\r\n\r\n")
            scrape = _read_response(client).partition(b"\r\n\r\n")[2].decode()
            scraped_by.add(_owner(client, port, workers))
        assert _samples(scrape, "holdfast_http_requests_total", route="/health/live") == [float(len(answered_by))]
        # A gauge read when scraped is one value, not one per worker.
        assert len(_samples(scrape, "holdfast_job_dead_letters")) == 1
        assert _samples(scrape, "holdfast_inventory_state_missing") == [0.0]
        if scraped_by == set(workers):
            break
    assert scraped_by == set(workers)
    assert process.poll() is None


def _live_on_a_new_connection(port: int, workers: list[int]) -> int:
    """GET /health/live on a fresh connection (the kernel picks the worker); the worker's pid."""
    with socket.create_connection(("127.0.0.1", port), timeout=EXIT_DEADLINE) as client:
        client.sendall(b"GET /health/live HTTP/1.1\r\nHost: holdfast\r\n\r\n")
        assert _read_response(client).startswith(b"HTTP/1.1 200"), "a worker did not answer"
        return _owner(client, port, workers)


def _samples(scrape: str, name: str, **labels: str) -> list[float]:
    """The values of ``name``'s samples in a scrape whose labels include ``labels``."""
    values = []
    for line in scrape.splitlines():
        found = re.fullmatch(rf"{name}(?:\{{(.*)\}})? (\S+)", line)
        if found is None:
            continue
        have = dict(re.findall(r'(\w+)="([^"]*)"', found.group(1) or ""))
        if all(have.get(key) == value for key, value in labels.items()):
            values.append(float(found.group(2)))
    return values


def test_a_replaced_workers_requests_still_count_in_the_scrape(
    served: tuple[subprocess.Popen[bytes], str, Path],
) -> None:
    process, base, log = served
    workers = _worker_pids(log, 2)
    _wait_for_lines(log, r"Started worker-\d+", 2)
    port = int(base.rsplit(":", 1)[1])
    answered_by: list[int] = []
    while workers[0] not in answered_by:
        assert len(answered_by) < MOST_CONNECTIONS, f"worker {workers[0]} never answered: {answered_by}"
        answered_by.append(_live_on_a_new_connection(port, workers))
    os.kill(workers[0], signal.SIGKILL)
    _wait_for_lines(log, r"Started worker-\d+", 3)  # the replacement is up
    for _ in range(10):  # whichever worker, the old or the new, answers the scrape
        scrape = httpx.get(f"{base}/metrics", headers={"Connection": "close"}, timeout=EXIT_DEADLINE).text
        assert _samples(scrape, "holdfast_http_requests_total", route="/health/live") == [float(len(answered_by))]
    assert process.poll() is None
