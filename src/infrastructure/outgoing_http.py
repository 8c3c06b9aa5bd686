"""POSTs to tenants' webhook endpoints with httpx: one pooled client, short timeouts, no redirects."""

from __future__ import annotations

import time
from collections.abc import Mapping

import httpx

from application.ports.outgoing_webhooks import HttpAnswer

USER_AGENT = "Holdfast-Webhooks/1"
MAX_ERROR_LENGTH = 500


class HttpxWebhookSender:
    """Redirects are not followed (a 3xx is a failed attempt, retried): a signed request must
    reach the URL the tenant registered, not wherever it points. The answer's body is not read
    beyond what httpx buffers; only its status matters."""

    def __init__(self, timeout_seconds: float = 10.0, connect_seconds: float = 5.0) -> None:
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_seconds, connect=connect_seconds),
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT},
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
        )

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> HttpAnswer:
        started = time.perf_counter()
        try:
            response = await self._client.post(url, content=body, headers=dict(headers))
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            return HttpAnswer(None, error[:MAX_ERROR_LENGTH], _elapsed_ms(started))
        error = None if response.is_success else f"HTTP {response.status_code}"
        return HttpAnswer(response.status_code, error, _elapsed_ms(started))

    async def aclose(self) -> None:
        await self._client.aclose()


def _elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
