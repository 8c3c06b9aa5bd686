"""Throwaway PostgreSQL, Redis and localstripe servers for the tests that need real ones.

Each server runs from its own temporary directory on a free loopback port, and is stopped and
deleted when its context ends, or at interpreter exit if the run is cut short. Setting
HOLDFAST_TEST_POSTGRES_URL / HOLDFAST_TEST_REDIS_URL / HOLDFAST_TEST_LOCALSTRIPE_URL points the
tests at an existing server instead.
Nothing here imports pytest, so benchmarks and scripts can borrow a server too.
"""

from __future__ import annotations

import atexit
import functools
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

DATABASE = "holdfast_test"
START_TIMEOUT_S = 30.0
INSTALL_HINT = "run `make test`, which installs PostgreSQL and Redis (ops/install-test-deps.sh)"


class ServerUnavailableError(RuntimeError):
    """A test server could not be found or started; the message says why and what to do."""


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield the SQLAlchemy async URL of a Postgres holding an empty `holdfast_test` database."""
    if url := os.environ.get("HOLDFAST_TEST_POSTGRES_URL"):
        yield url
        return
    bindir, as_owner = _postgres_bindir(), _postgres_user()
    with _scratch_dir("holdfast-pg-", as_owner.get("user")) as tmp:
        port = free_port()
        _initdb(bindir, tmp, as_owner)
        ready = functools.partial(_postgres_ready, bindir, port)
        with _running(_postgres_command(bindir, tmp, port), tmp, ready, as_owner):
            _run([bindir / "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", DATABASE])
            yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/{DATABASE}"


@contextmanager
def redis_server() -> Iterator[str]:
    """Yield the URL of database 0 of a Redis that keeps nothing on disk."""
    if url := os.environ.get("HOLDFAST_TEST_REDIS_URL"):
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServerUnavailableError(f"redis-server not found on PATH; {INSTALL_HINT}")
    with _scratch_dir("holdfast-redis-") as tmp:
        port = free_port()
        command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp)]
        command += ["--save", "", "--appendonly", "no"]
        with _running(command, tmp, functools.partial(_redis_ready, port), {}):
            yield f"redis://127.0.0.1:{port}/0"


@contextmanager
def localstripe_server() -> Iterator[str]:
    """Yield the base URL of a localstripe, a Stripe API look-alike, for the real Stripe SDK to call."""
    if url := os.environ.get("HOLDFAST_TEST_LOCALSTRIPE_URL"):
        yield url
        return
    with _scratch_dir("holdfast-localstripe-") as tmp:
        port = free_port()
        command = [sys.executable, Path(__file__).with_name("localstripe_main.py"), str(port)]
        with _running(command, tmp, functools.partial(_http_answers, port), {}):
            yield f"http://127.0.0.1:{port}"


class RestartableServer:
    """A server a test may stop and start again: same port, same data directory, so clients that
    keep its URL reconnect once it is back (an outage, not a new server)."""

    def __init__(
        self, url: str, command: Sequence[str | Path], tmp: Path, ready: Callable[[], bool], as_owner: dict[str, Any]
    ) -> None:
        self.url = url
        self._command, self._tmp, self._ready, self._as_owner = command, tmp, ready, as_owner
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start it (a no-op while it runs) and wait until it answers."""
        if self.running:
            return
        log = self._tmp / "server.log"
        with log.open("ab") as out:
            self._process = subprocess.Popen(
                self._command, stdout=out, stderr=subprocess.STDOUT, cwd=self._tmp, **self._as_owner
            )
        _wait_until_ready(Path(self._command[0]).name, self._ready, self._process, log)

    def stop(self) -> None:
        """A clean, fast shutdown (a no-op when stopped): clients see their connections close."""
        if self._process is not None:
            _stop(self._process)


@contextmanager
def restartable_postgres_server() -> Iterator[RestartableServer]:
    """A Postgres of the caller's own holding an empty `holdfast_test` database, to stop and restart.

    HOLDFAST_TEST_POSTGRES_URL is not honoured: a server someone else runs is not ours to stop.
    """
    bindir, as_owner = _postgres_bindir(), _postgres_user()
    with _scratch_dir("holdfast-pg-", as_owner.get("user")) as tmp:
        port = free_port()
        _initdb(bindir, tmp, as_owner)
        url = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/{DATABASE}"
        ready = functools.partial(_postgres_ready, bindir, port)
        server = RestartableServer(url, _postgres_command(bindir, tmp, port), tmp, ready, as_owner)
        with _until_exit(server):
            _run([bindir / "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", DATABASE])
            yield server


@contextmanager
def restartable_redis_server() -> Iterator[RestartableServer]:
    """A Redis of the caller's own, to stop and restart; its append-only file keeps the data
    across a restart, as a production Redis with persistence would."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServerUnavailableError(f"redis-server not found on PATH; {INSTALL_HINT}")
    with _scratch_dir("holdfast-redis-") as tmp:
        port = free_port()
        command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp)]
        command += ["--save", "", "--appendonly", "yes"]
        ready = functools.partial(_redis_ready, port)
        server = RestartableServer(f"redis://127.0.0.1:{port}/0", command, tmp, ready, {})
        with _until_exit(server):
            yield server


@contextmanager
def _until_exit(server: RestartableServer) -> Iterator[None]:
    server.start()
    atexit.register(server.stop)
    try:
        yield
    finally:
        server.stop()
        atexit.unregister(server.stop)


def _postgres_bindir() -> Path:
    """Debian keeps the server binaries off PATH, in /usr/lib/postgresql/<major>/bin."""
    candidates = [Path(found).parent for found in [shutil.which("initdb")] if found]
    if pg_config := shutil.which("pg_config"):
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        candidates.append(Path(out.stdout.strip()))
    installed = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += sorted(map(Path, installed), key=lambda p: _version(p.parent.name), reverse=True)
    for bindir in candidates:
        if all((bindir / tool).is_file() for tool in ("initdb", "postgres", "pg_isready", "createdb")):
            return bindir
    raise ServerUnavailableError(f"PostgreSQL server binaries (initdb, postgres) not found; {INSTALL_HINT}")


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def _postgres_user() -> dict[str, Any]:
    """Postgres refuses to run as root, so under root it runs as the `postgres` system user."""
    if os.geteuid() != 0:
        return {}
    try:
        owner = pwd.getpwnam("postgres")
    except KeyError:
        message = f"running as root but there is no `postgres` user to run the server as; {INSTALL_HINT}"
        raise ServerUnavailableError(message) from None
    return {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}


def _initdb(bindir: Path, tmp: Path, as_owner: dict[str, Any]) -> None:
    """A fresh cluster with trust auth; --no-sync because it is thrown away anyway."""
    command: list[str | Path] = [bindir / "initdb", "-D", tmp / "data", "-U", "postgres", "--auth=trust"]
    _run([*command, "--encoding=UTF8", "--locale=C", "--no-sync"], cwd=tmp, **as_owner)


def _postgres_command(bindir: Path, tmp: Path, port: int) -> list[str | Path]:
    """Loopback only, socket inside the scratch dir, durability off: speed over safety here."""
    settings = {
        "listen_addresses": "127.0.0.1",
        "unix_socket_directories": str(tmp),
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "max_connections": "300",  # the concurrency suites open hundreds of connections at once
    }
    options = [arg for key, value in settings.items() for arg in ("-c", f"{key}={value}")]
    return [bindir / "postgres", "-D", tmp / "data", "-p", str(port), *options]


def _postgres_ready(bindir: Path, port: int) -> bool:
    """pg_isready, unlike a bare TCP connect, waits out the 'database system is starting up' phase."""
    address = ["-h", "127.0.0.1", "-p", str(port), "-U", "postgres"]
    return subprocess.run([bindir / "pg_isready", "-q", *address], check=False).returncode == 0


def _redis_ready(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _http_answers(port: int) -> bool:
    """Any HTTP answer will do (localstripe says 401 to a request without a key)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            conn.sendall(b"GET /v1/balance HTTP/1.0\r\nHost: localhost\r\n\r\n")
            return conn.recv(16).startswith(b"HTTP/")
    except OSError:
        return False


@contextmanager
def _running(
    command: Sequence[str | Path], tmp: Path, ready: Callable[[], bool], as_owner: dict[str, Any]
) -> Iterator[None]:
    """Run a server until the context ends; fail with its log's tail if it never gets ready."""
    log = tmp / "server.log"
    with log.open("ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=tmp, **as_owner)
    stop = functools.partial(_stop, process)
    atexit.register(stop)
    try:
        _wait_until_ready(Path(command[0]).name, ready, process, log)
        yield
    finally:
        stop()
        atexit.unregister(stop)


def _wait_until_ready(name: str, ready: Callable[[], bool], process: subprocess.Popen[bytes], log: Path) -> None:
    """Bounded poll; gives up at once if the server died, and shows why."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while not ready():
        if process.poll() is not None:
            _fail(f"{name} exited with status {process.returncode}", log)
        if time.monotonic() > deadline:
            _fail(f"{name} not ready after {START_TIMEOUT_S:.0f}s", log)
        time.sleep(0.1)


def _fail(what: str, log: Path, lines: int = 25) -> None:
    tail = log.read_text(errors="replace").splitlines()[-lines:]
    raise ServerUnavailableError(f"{what}; last lines of its log:\n" + "\n".join(tail))


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGINT is a fast shutdown for Postgres and a clean exit for Redis; SIGKILL if that stalls."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def _scratch_dir(prefix: str, owner: int | None = None) -> Iterator[Path]:
    """A private temporary directory (owned by `owner` if given), removed at the end or at exit."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    if owner is not None:
        os.chown(path, owner, -1)
    remove = functools.partial(shutil.rmtree, path, ignore_errors=True)
    atexit.register(remove)
    try:
        yield path
    finally:
        remove()
        atexit.unregister(remove)


def free_port() -> int:
    """A loopback port the kernel just handed out: free unless someone grabs it in between."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _run(command: Sequence[str | Path], **kwargs: Any) -> None:
    """Run a set-up step; on failure, raise with its output rather than a bare exit status."""
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()
        raise ServerUnavailableError(f"{Path(command[0]).name} failed ({result.returncode}):\n{output}")
