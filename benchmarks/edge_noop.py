"""The ceiling for the edge measurements: a raw ASGI app that answers every request with a small
JSON body (a POST body is read and decoded with msgspec), under the same server as the service."""

from __future__ import annotations

from typing import Any

import msgspec

_BODY = msgspec.json.encode({"status": "ok"})
_HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(_BODY)).encode())]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    status = 200
    if scope["method"] == "POST":
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        msgspec.json.decode(b"".join(chunks))
        status = 201
    await send({"type": "http.response.start", "status": status, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": _BODY})
