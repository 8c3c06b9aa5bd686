"""Strict JSON bodies.

Litestar converts request bodies in msgspec's lax mode, which would accept ``"2"`` for a
quantity. Before the handler runs, the body is decoded here, strictly, against the handler's
``data`` type, so a wrong JSON type is a 400 instead of a silent coercion; and the value is
handed to Litestar as the request's parsed JSON, so it is not decoded a second time (msgspec's
conversion of the handler's arguments passes an instance of the ``data`` type through as it is).

A body is JSON only when its ``Content-Type`` says so (``is_json_content_type``): anything else
is 415 ``unsupported_media_type``, never read as JSON anyway (a form post or ``text/plain``
from a browser is how cross-site requests arrive without a preflight).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import HTTPException, ValidationException
from litestar.utils.scope.state import ScopeState

JSON_MEDIA_TYPE = "application/json"


def is_json_content_type(value: bytes | str | None) -> bool:
    """Whether a ``Content-Type`` header names JSON: ``application/json`` or ``application/*+json``
    (``application/merge-patch+json``...), in any case, with any parameters (``; charset=utf-8``)."""
    if value is None:
        return False
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    media = text.partition(";")[0].strip().lower()
    if media == JSON_MEDIA_TYPE:
        return True
    kind, slash, subtype = media.partition("/")
    return kind == "application" and bool(slash) and subtype.endswith("+json") and len(subtype) > len("+json")


def _data_type(request: Request[Any, Any, Any]) -> Any:
    field = request.route_handler.parsed_fn_signature.parameters.get("data")
    return None if field is None else field.annotation  # Annotated[..., BodyKwarg]: msgspec ignores the marker


async def strict_body(request: Request[Any, Any, Any]) -> None:
    target = _data_type(request)
    if target is None:
        return
    body = await request.body()
    if not body.strip():
        return  # absence is judged by the handler's signature (optional or required)
    if not is_json_content_type(request.headers.get("content-type")):
        raise HTTPException(
            status_code=415, detail=f"the request body must be JSON: send Content-Type: {JSON_MEDIA_TYPE}"
        )
    try:
        data = msgspec.json.decode(body, type=target, strict=True)
    except msgspec.ValidationError as exc:
        raise ValidationException(
            detail="the request body is not valid",
            extra=[{"message": str(exc).split(" - at `", 1)[0], "key": _path(exc), "source": "body"}],
        ) from exc
    except msgspec.DecodeError as exc:
        raise ValidationException(detail=f"the request body is not valid JSON: {exc}") from exc
    ScopeState.from_scope(request.scope).json = data  # what request.json() answers from now on


def _path(exc: msgspec.ValidationError) -> str:
    """msgspec ends its message with ' - at `$.lines[0].quantity`'; keep the path, named as query
    and path parameters are (``lines[0].quantity``); ``$`` is the body itself."""
    message = str(exc)
    return message.rsplit("at `", 1)[-1].rstrip("`").removeprefix("$.") if "at `" in message else "$"
