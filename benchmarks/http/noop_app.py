"""The raw ASGI ceiling: the least a JSON POST endpoint can do on this box.

It reads the body, decodes it strictly with msgspec (as the service's bodies are), and answers
201 with a small JSON document; any other request gets 200 ``{}``. No framework, no
middleware, no I/O: what remains is the ASGI server, the event loop and the socket. The
benchmark serves it with the same server program ``holdfast serve`` uses, one process per
port, and reads every other figure as a ratio to it.

    python -m uvicorn benchmarks.http.noop_app:app --port 8000
"""

from __future__ import annotations

from typing import Any

import msgspec


class _Line(msgspec.Struct, forbid_unknown_fields=True):
    pool_id: str
    quantity: int


class _Body(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    listing_id: str
    customer_ref: str
    lines: list[_Line]


class _Created(msgspec.Struct):
    id: int
    customer_ref: str
    status: str = "active"


_decoder = msgspec.json.Decoder(_Body)
_encoder = msgspec.json.Encoder()
_count = 0


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    if scope["method"] == "POST":
        global _count
        _count += 1
        status, payload = 201, _encoder.encode(_Created(_count, _decoder.decode(body).customer_ref))
    else:
        status, payload = 200, b"{}"
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
