"""HTTP servers for ``holdfast serve``: granian against uvicorn, same app, same worker count.

    .venv/bin/python -m benchmarks.serving --workers 2 --seconds 10 --connections 32 --rounds 2

Starts the app on the embedded default (SQLite in a throwaway directory, sql engine, in-process
jobs) under each server in turn, on loopback, and drives it with ``wrk``: ``GET /health/live``
(the middleware stack alone) and ``POST /v1/holds`` (one unit, a distinct customer each, on a
pool large enough never to sell out). Servers alternate round by round so that the noise of a
shared machine falls on both; each figure is read as a ratio to the other server in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HOLD_SCRIPT = """
counter = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-API-Key"] = "%(key)s"
request = function()
  counter = counter + 1
  wrk.body = '{"listing_id":"%(listing)s","customer_ref":"c' .. counter .. '-' .. math.random(1e9) ..
    '","lines":[{"pool_id":"%(pool)s","quantity":1}]}'
  return wrk.format(nil, "/v1/holds")
end
"""

LAUNCH = {
    "uvicorn": (
        "import uvicorn, sys; uvicorn.run(sys.argv[3], factory=True, host='127.0.0.1',"
        " port=int(sys.argv[1]), workers=int(sys.argv[2]), access_log=False, log_config=None,"
        " loop='uvloop', http='httptools')"
    ),
    "granian": (
        "import sys; from granian import Granian; from granian.constants import Interfaces, Loops;"
        " Granian(sys.argv[3], factory=True, address='127.0.0.1', port=int(sys.argv[1]),"
        " workers=int(sys.argv[2]), interface=Interfaces.ASGI, loop=Loops.uvloop, log_access=False).serve()"
    ),
}


NOOP_BODY = b'{"ok":true}'


def noop_app():  # type: ignore[no-untyped-def]
    """The raw ASGI ceiling: POST decoded with msgspec, a 201 JSON answer, no framework."""
    import msgspec

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        if body:
            msgspec.json.decode(body)
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 201, "headers": headers})
        await send({"type": "http.response.body", "body": NOOP_BODY})

    return app


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOLDFAST_")}
    env.update(HOLDFAST_DATABASE_URL=f"sqlite+aiosqlite:///{home}/holdfast.db")
    return env


def _holdfast(env: dict[str, str], *args: str) -> str:
    bin_dir = Path(sys.executable).parent
    return subprocess.run([bin_dir / "holdfast", *args], env=env, check=True, capture_output=True, text=True).stdout


def _call(port: int, method: str, path: str, key: str, body: dict[str, object]) -> dict[str, object]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(body).encode(),
        method=method,
        headers={"Content-Type": "application/json", "X-API-Key": key},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def _wait_live(port: int) -> None:
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/live", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not come up")


def _wrk(args: argparse.Namespace, url: str, script: Path | None = None) -> tuple[float, str, str, int]:
    cmd = ["wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s", "--latency", url]
    if script is not None:
        cmd[1:1] = ["-s", str(script)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)  # type: ignore[union-attr]
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, p50, p99, int(bad.group(1)) if bad else 0


def _serve(
    server: str, target: str, args: argparse.Namespace, env: dict[str, str], port: int
) -> subprocess.Popen[bytes]:
    launch = [sys.executable, "-c", LAUNCH[server], str(port), str(args.workers), target]
    proc = subprocess.Popen(launch, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_live(port)
    return proc


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(timeout=30)


def _round(server: str, args: argparse.Namespace, home: Path, port: int) -> dict[str, tuple[float, str, str, int]]:
    env = _env(home)
    script = home / f"hold-{port}.lua"
    script.write_text(HOLD_SCRIPT % {"key": "none", "listing": "none", "pool": "none"})
    proc = _serve(server, "benchmarks.serving:noop_app", args, env, port)
    try:
        noop = _wrk(args, f"http://127.0.0.1:{port}", script)
    finally:
        _stop(proc)
    proc = _serve(server, "interfaces.http.app:create_app", args, env, port)
    try:
        key = re.search(r"shown once\): (\S+)", _holdfast(env, "create-tenant", f"bench-{server}-{port}"))
        assert key is not None
        api_key = key.group(1)
        listing = _call(port, "POST", "/v1/listings/", api_key, {"kind": "event_show", "name": "bench"})
        pool = _call(
            port,
            "POST",
            f"/v1/listings/{listing['id']}/pools",
            api_key,
            {"code": "A", "capacity": 1_000_000, "unit_price": 100, "currency": "EUR"},
        )
        script.write_text(HOLD_SCRIPT % {"key": api_key, "listing": listing["id"], "pool": pool["id"]})  # type: ignore[index]
        return {
            "raw ASGI no-op POST": noop,
            "GET /health/live": _wrk(args, f"http://127.0.0.1:{port}/health/live"),
            "POST /v1/holds": _wrk(args, f"http://127.0.0.1:{port}", script),
        }
    finally:
        _stop(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--port", type=int, default=18_700)
    args = parser.parse_args()
    results: dict[str, dict[str, list[tuple[float, str, str, int]]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        _holdfast(_env(home), "migrate")
        for n in range(args.rounds):
            for server in ("uvicorn", "granian"):
                for path, figures in _round(server, args, home, args.port + n).items():
                    results.setdefault(path, {}).setdefault(server, []).append(figures)
                    print(server, path, figures, flush=True)
    print(
        f"\n| path ({args.workers} workers, wrk {args.connections} connections, {args.seconds} s) "
        "| server | requests/s (each round) | p50 / p99 (last round) | non-2xx | granian / uvicorn |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for path, by_server in results.items():
        best = {server: max(r[0] for r in runs) for server, runs in by_server.items()}
        for server, runs in by_server.items():
            ratio = f"{best['granian'] / best['uvicorn']:.2f}x" if server == "granian" else ""
            rates = ", ".join(f"{r[0]:,.0f}" for r in runs)
            print(
                f"| {path} | {server} | {rates} | {runs[-1][1]} / {runs[-1][2]} | {sum(r[3] for r in runs)} | {ratio} |"
            )


if __name__ == "__main__":
    main()
