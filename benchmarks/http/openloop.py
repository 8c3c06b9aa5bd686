"""Open-loop load: requests sent at a constant arrival rate, whatever the server's answers do.

A closed loop (wrk's fixed connections) waits for an answer before it sends again, so a slow
server is simply sent less and queueing never shows in its latencies. Here request ``i`` is
due at ``start + i / rate`` and its latency runs from that due time to the end of its answer:
a request that waits for a free connection, or for the generator itself, is counted as late.

One process, asyncio on uvloop, raw HTTP/1.1 keep-alive connections (at most
``--connections``, opened as needed, spread over the ports). Run several processes, each with
an offset phase, when one cannot keep up; ``benchmarks.http`` does that. Prints one JSON line:
latencies (ms) of answered requests, status counts, and how many were not answered in time
(to ``--out``, or stdout).

    python -m benchmarks.http.openloop --ports 8001 --rate 500 --duration 5 --path /health/live
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections import Counter
from pathlib import Path

GRACE_S = 5.0  # after the last due time, how long answers are still waited for


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def exchange(self, request: bytes) -> int:
        """Send one request, read its whole answer, return the status."""
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
            elif name.strip().lower() == b"transfer-encoding":
                raise ValueError("chunked answers are not supported")
        if length:
            await self.reader.readexactly(length)
        return status


class Generator:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.idle: asyncio.Queue[Connection] = asyncio.Queue()
        self.opened = 0
        self.latencies: list[float] = []
        self.statuses: Counter[str] = Counter()
        self.holds = _holds(args.holds, args.proc, args.procs)
        self.identities = _identities(args.identities, args.proc, args.procs)
        headers = "Host: 127.0.0.1\r\nContent-Type: application/json\r\n"
        if args.key:
            headers += f"X-API-Key: {args.key}\r\n"
        self.head = f"{args.method} {args.path} HTTP/1.1\r\n{headers}"

    def request(self, n: int) -> bytes:
        if self.identities:  # a key (and its ticket) of its own per request
            key, ticket = self.identities[n % len(self.identities)]
            path = self.args.path.replace("{ticket}", ticket)
            head = f"{self.args.method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {key}\r\n"
            return (head + "Content-Length: 0\r\n\r\n").encode()
        if not self.args.body:
            return (self.head + "\r\n").encode()
        body = self.args.body.replace("{ref}", f"{self.args.prefix}-o{self.args.proc}-{n}")
        if self.holds:
            body = body.replace("{hold}", self.holds[n % len(self.holds)])
        data = body.encode()
        return (self.head + f"Content-Length: {len(data)}\r\n\r\n").encode() + data

    async def connection(self) -> Connection:
        if self.idle.empty() and self.opened < self.args.connections:
            self.opened += 1
            port = self.args.ports[self.opened % len(self.args.ports)]
            try:
                return Connection(*await asyncio.open_connection("127.0.0.1", port))
            except OSError:
                self.opened -= 1
                raise
        return await self.idle.get()

    async def one(self, n: int, due: float) -> None:
        loop = asyncio.get_running_loop()
        try:
            conn = await self.connection()
        except OSError:
            self.statuses["socket_error"] += 1
            return
        try:
            status = await conn.exchange(self.request(n))
        except (OSError, ValueError, asyncio.IncompleteReadError):
            self.statuses["socket_error"] += 1
            conn.writer.close()
            self.opened -= 1
            return
        self.latencies.append(round((loop.time() - due) * 1000, 3))
        self.statuses[str(status)] += 1
        self.idle.put_nowait(conn)

    async def run(self) -> dict[str, object]:
        loop = asyncio.get_running_loop()
        rate, total = self.args.rate, int(self.args.rate * self.args.duration)
        start = loop.time() + 0.1 + self.args.proc / (rate * self.args.procs)
        tasks: set[asyncio.Task[None]] = set()
        sent, late = 0, 0.0
        while sent < total:
            now = loop.time()
            while sent < total and start + sent / rate <= now:
                late = max(late, now - (start + sent / rate))
                task = asyncio.create_task(self.one(sent, start + sent / rate))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                sent += 1
            if sent < total:
                await asyncio.sleep(max(0.0, start + sent / rate - loop.time()))
        if tasks:
            _, pending = await asyncio.wait(set(tasks), timeout=GRACE_S)
            for task in pending:
                task.cancel()
        unanswered = total - len(self.latencies) - self.statuses["socket_error"]
        while not self.idle.empty():
            self.idle.get_nowait().writer.close()
        return {
            "scheduled": total,
            "latencies_ms": self.latencies,
            "statuses": dict(self.statuses),
            "unanswered": unanswered,
            "max_send_lag_ms": late * 1000,
        }


def _identities(path: str | None, proc: int, procs: int) -> list[tuple[str, str]]:
    if not path:
        return []
    lines = [[*line.split(), ""][:2] for line in Path(path).read_text().splitlines() if line.strip()]
    return [(key, ticket) for key, ticket in lines[proc::procs]]


def _holds(path: str | None, proc: int, procs: int) -> list[str]:
    if not path:
        return []
    lines = Path(path).read_text().split()
    return lines[proc::procs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ports", type=int, nargs="+", required=True)
    parser.add_argument("--rate", type=float, required=True, help="requests per second from this process")
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--method", default="GET")
    parser.add_argument("--path", default="/")
    parser.add_argument("--body", default="", help="JSON template: {ref} a unique customer_ref, {hold} a hold id")
    parser.add_argument("--key", default="")
    parser.add_argument("--prefix", default="o")
    parser.add_argument("--holds", default=None, help="file of hold ids, one a line")
    parser.add_argument("--identities", default=None, help='file of "key [ticket]" lines, one identity a request')
    parser.add_argument("--connections", type=int, default=256)
    parser.add_argument("--proc", type=int, default=0, help="this process's index among --procs")
    parser.add_argument("--procs", type=int, default=1)
    parser.add_argument("--out", default="", help="write the JSON here instead of to stdout")
    args = parser.parse_args()
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    result = asyncio.run(Generator(args).run())
    text = json.dumps(result) + "\n"
    if args.out:
        Path(args.out).write_text(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
