"""``holdfast serve``: HOLDFAST_WORKERS processes answering on one port, under granian.

Why granian: measured against uvicorn (httptools + uvloop) with the same app and worker count,
it answered more requests through the app; see "Serving: granian vs uvicorn" in
benchmarks/RESULTS.md (``python -m benchmarks.serving``).

How it runs:

* The supervisor (this process) binds HOLDFAST_HOST:HOLDFAST_PORT once and forks the workers,
  which share the socket; the kernel spreads connections over them.
* Each worker builds its own app and container (``worker_app``): database pools, Redis clients
  and the in-process job runner cannot cross a process boundary.
* SIGTERM or SIGINT: the workers stop accepting, finish the requests in flight and run the app's
  shutdown (jobs stopped, connections closed); a worker still busy after
  ``SHUTDOWN_GRACE_SECONDS`` is killed: before Kubernetes (terminationGracePeriodSeconds: 30),
  compose (stop_grace_period) or ops/local-stack/down.sh (STACK_STOP_TIMEOUT) would.
* A worker that dies (OOM, a crash) is started again while the others keep serving; one that
  dies again within seconds of its restart stops the whole process with status 1 (granian's
  guard against a crash loop), for the supervisor above (Kubernetes, compose) to see.
* A worker whose supervisor dies (SIGKILL, OOM) is killed too, rather than keep the port.
* Metrics: with more than one worker, a scrape of ``/metrics`` (answered by whichever worker
  accepted it) reports every worker's values: the workers write them to a directory of their
  own per ``holdfast serve`` (PROMETHEUS_MULTIPROC_DIR, see infrastructure/metrics.py), removed
  when it exits. A replaced worker's files stay: its requests still count in the totals
  (counters that dropped on a restart would read as a reset).
* Logs: granian's own lines go through the same loguru set-up as the app's, and there is no
  access log: the app logs each request with its correlation id.
"""

from __future__ import annotations

import ctypes
import errno
import os
import signal
import socket
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from granian.constants import Interfaces, Loops
from granian.server import Server
from litestar import Litestar

from infrastructure.settings import Settings

# prometheus_client's switch, read by infrastructure/metrics.py. Not imported from there: that
# would import prometheus_client in this process before the variable is set, and the forked
# workers would inherit its one-process value store.
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"

SHUTDOWN_GRACE_SECONDS = 15
# How many connections may wait to be accepted, per port (granian's minimum is 128).
BACKLOG = 2048
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
# granian's own lines (workers spawned and stopped, shutdown) go to the root logger, which
# configure_logging hands to loguru: one format for the whole process. No access log.
_GRANIAN_LOGS = {
    "loggers": {
        "_granian": {"handlers": [], "level": "INFO", "propagate": True},
        "granian.access": {"handlers": [], "level": "WARNING", "propagate": False},
    },
}


def worker_app() -> Litestar:
    """The app of one worker process, built in that process (granian calls this factory)."""
    _die_with_parent()
    from interfaces.http.app import create_app

    return create_app()


def _die_with_parent() -> None:
    # Without this, workers forked by a supervisor that was SIGKILLed keep serving the port as
    # orphans, and a restarted `holdfast serve` cannot bind it.
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def listen_problem(host: str, port: int) -> str | None:
    """None when ``host:port`` can be listened on now; else why not, naming the setting to change.

    A pre-flight for ``holdfast serve``: granian binds only once it serves, after the start-up
    wait and the "listening on" line, so a taken port would read as a start followed by a crash.
    The probe sets SO_REUSEADDR as servers do, so a port whose last connections linger in
    TIME_WAIT (a restart) is not reported as taken; a socket listening on it still is.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        return f"cannot listen on {host!r}: {exc.strerror}; check HOLDFAST_HOST"
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"port {port} on {host} is taken (another holdfast serve?): stop it, or set HOLDFAST_PORT"
            return f"cannot listen on {host}:{port}: {exc.strerror}; check HOLDFAST_HOST and HOLDFAST_PORT"
    return None


def serve(settings: Settings) -> None:
    """Serve the API until SIGTERM or SIGINT; return once every worker has stopped."""
    with _shared_metrics(settings.workers):
        _server(settings).serve()


@contextmanager
def _shared_metrics(workers: int) -> Iterator[None]:
    """With several workers, a fresh directory for their metrics, named in the environment the
    forked workers inherit before any of them imports prometheus_client (which reads it then)."""
    if workers == 1:
        yield
        return
    with tempfile.TemporaryDirectory(prefix="holdfast-metrics-") as path:
        os.environ[MULTIPROCESS_DIR] = path
        try:
            yield
        finally:
            os.environ.pop(MULTIPROCESS_DIR, None)


def _server(settings: Settings) -> Server:
    return Server(
        "interfaces.http.server:worker_app",
        factory=True,
        address=settings.host,
        port=settings.port,
        interface=Interfaces.ASGI,
        workers=settings.workers,
        loop=Loops.uvloop,
        backlog=BACKLOG,
        workers_kill_timeout=SHUTDOWN_GRACE_SECONDS,
        respawn_failed_workers=True,
        log_dictconfig=_GRANIAN_LOGS,
        log_access=False,
    )
