"""What a pass use answers, as both adapters spell it (the Lua script's words)."""

from __future__ import annotations

from domain.waiting_room import QueuePassExpiredError, QueuePassInvalidError, QueuePassUsedUpError


def check_use(outcome: str, limit: int) -> bool:
    """Whether the hold was counted now (``ok``; ``again``: counted before), else raises the
    refusal the outcome names."""
    if outcome == "gone":
        raise QueuePassInvalidError("its place is no longer in the queue")
    if outcome == "waiting":
        raise QueuePassInvalidError("its place has not been admitted")
    if outcome == "expired":
        raise QueuePassExpiredError()
    if outcome == "used_up":
        raise QueuePassUsedUpError(limit)
    return outcome == "ok"
