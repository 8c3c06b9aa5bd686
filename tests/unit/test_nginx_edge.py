"""The public edge (ops/nginx.conf) forwards the API and nothing else: /metrics, /schema,
/health/ready and /v1/dev are answered 404 by nginx itself and never reach a replica.

nginx runs on the very file (`make system-deps` installs it), with its upstreams pointed at a
recording HTTP server on loopback and its port moved to a free one.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from interfaces.http.docs import ASSETS_PATH
from tests.servers import free_port

CONF = Path(__file__).resolve().parents[2] / "ops" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CLOSED = [
    "/metrics",
    "/schema",
    "/schema/openapi.json",
    "/schema/swagger",
    f"{ASSETS_PATH}/swagger-ui-dist/swagger-ui-bundle.js",  # the pages' own files too
    "/health/ready",
    "/v1/dev/bookings/00000000-0000-0000-0000-000000000000/pay",
    "/v1/dev",
    "/v1//dev/bookings/x/pay",  # nginx merges the slashes before it matches
    "/v1/%64ev/bookings/x/pay",  # ... and decodes the escapes
    "/v1/../metrics",
    "/",
]
OPEN = ["/v1/listings", "/v1/holds/abc", "/v1/developers", "/health/live"]


class _Recorder(BaseHTTPRequestHandler):
    seen: list[str] = []

    def _answer(self) -> None:
        _Recorder.seen.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def edge(tmp_path: Path) -> Iterator[str]:
    backend = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=backend.serve_forever, daemon=True).start()
    port = free_port()
    conf = re.sub(r"server api-\d:8000", f"server 127.0.0.1:{backend.server_port}", CONF.read_text())
    conf = conf.replace("listen 80;", f"listen 127.0.0.1:{port};")
    temp = "".join(f"    {kind}_temp_path {tmp_path / kind};\n" for kind in ("client_body", "proxy"))
    conf = conf.replace("http {\n", "http {\n" + temp + f"    access_log {tmp_path / 'access.log'};\n", 1)
    (tmp_path / "nginx.conf").write_text(conf)
    directives = f"daemon off; pid {tmp_path / 'nginx.pid'}; error_log {tmp_path / 'error.log'};"
    nginx = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-g", directives])
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{base}/health/live", timeout=1)
                break
            except httpx.TransportError:
                assert nginx.poll() is None, (tmp_path / "error.log").read_text()
                time.sleep(0.1)
        _Recorder.seen.clear()
        yield base
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        backend.shutdown()


def test_the_edge_forwards_the_api_and_nothing_else(edge: str) -> None:
    with httpx.Client(base_url=edge) as client:
        closed = {path: client.get(path).status_code for path in CLOSED}
        forwarded = {path: client.get(path).status_code for path in OPEN}
        posted = client.post("/v1/dev/bookings/x/pay").status_code

    assert closed == dict.fromkeys(CLOSED, 404)
    assert posted == 404
    assert forwarded == dict.fromkeys(OPEN, 200)
    assert sorted(_Recorder.seen) == sorted(OPEN)  # nothing closed ever reached a replica


def test_the_conf_has_no_catch_all_proxy() -> None:
    """Read, for machines without nginx: the only forwarding locations are /v1/ and /health/live."""
    blocks = re.findall(r"location\s+([^{]+?)\s*\{([^}]*)\}", CONF.read_text())
    forwarding = sorted(where for where, body in blocks if "proxy_pass" in body)
    assert forwarding == ["/v1/", "= /health/live"]
    assert {"= /v1/dev", "^~ /v1/dev/"} <= {where for where, body in blocks if "return 404" in body}
