"""A JSON body is decoded once, strictly: the strict decoding is the value the handler gets."""

from __future__ import annotations

from typing import Any

import litestar.connection.request
import pytest

from tests.e2e.conftest import World
from tests.e2e.helpers import hold, make_listing


async def test_a_body_is_decoded_once_strictly_and_not_again_by_litestar(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    listing_id, pools = await make_listing(world.api)
    decoded_again: list[bytes] = []
    original = litestar.connection.request.decode_json

    def counting(value: Any, *args: Any, **kwargs: Any) -> Any:
        decoded_again.append(value)
        return original(value, *args, **kwargs)

    monkeypatch.setattr(litestar.connection.request, "decode_json", counting)

    placed = await hold(world.api, listing_id, {pools["a"]: 2})
    lax = await hold(world.api, listing_id, {pools["a"]: "2"})  # type: ignore[dict-item]

    assert placed.status_code == 201, placed.text
    assert [line["quantity"] for line in placed.json()["lines"]] == [2]
    assert lax.status_code == 400  # still strict: a string is not a quantity
    assert lax.json()["errors"][0]["field"] == "lines[0].quantity"
    assert decoded_again == []
