"""A group commit: calls made while a group is under way are run together by the next one.

Used where one transaction for many concurrent calls is far cheaper than one each: the SQLite
writer thread's holds (``Database.in_writer_thread``) and free bookings on the redis engine
(``GroupedFreeBookingWriter``). The queue only gathers and answers; what a group is, and what
running one means (its transaction, its retries alone), is the user's ``run``.

Rules:

* nobody waits for company: a call that finds no group under way starts one at once;
* ``choose`` picks, in order, which waiting calls make up the next group (the others wait for
  the one after); ``run`` returns one outcome per call, its result or ``Failed(error)``;
* each caller hears its own outcome, and only once its group is over;
* a caller cancelled meanwhile (a client gone) does not stop its group, and its outcome is
  retrieved so that nothing is reported as never retrieved;
* the group runs in a context of its own: it must not carry the first caller's log fields;
* when the queue itself is cancelled (shut down), every caller still waiting is cancelled too.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

Call = TypeVar("Call")
Result = TypeVar("Result")


class Failed:
    """What one call of a group raised, to be raised again in its caller."""

    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error


class GroupCommit(Generic[Call, Result]):
    def __init__(
        self,
        run: Callable[[list[Call]], Awaitable[Sequence[Result | Failed]]],
        choose: Callable[[Sequence[Call]], Sequence[int]],
    ) -> None:
        self._run, self._choose = run, choose
        self._waiting: list[tuple[Call, asyncio.Future[Result]]] = []
        self._drainer: asyncio.Task[None] | None = None

    async def __call__(self, call: Call) -> Result:
        done: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((call, done))
        if self._drainer is None:
            self._drainer = asyncio.create_task(self._drain(), context=contextvars.Context())
        try:
            return await asyncio.shield(done)
        except asyncio.CancelledError:
            done.add_done_callback(_observed)  # its outcome has nobody to go to
            raise

    async def _drain(self) -> None:
        group: list[tuple[Call, asyncio.Future[Result]]] = []
        try:
            while self._waiting:
                group = self._next_group()
                outcomes = await self._run([call for call, _ in group])
                for (_, done), outcome in zip(group, outcomes, strict=True):
                    _settle(done, outcome)
                group = []
        except BaseException:  # cancelled (shut down), or ``run`` raised: nobody may wait for ever
            for _, done in [*group, *self._waiting]:
                if not done.done():
                    done.cancel()
            self._waiting.clear()
            raise
        finally:
            self._drainer = None

    def _next_group(self) -> list[tuple[Call, asyncio.Future[Result]]]:
        chosen = set(self._choose([call for call, _ in self._waiting]))
        group = [entry for index, entry in enumerate(self._waiting) if index in chosen]
        self._waiting = [entry for index, entry in enumerate(self._waiting) if index not in chosen]
        return group


def first(most: int) -> Callable[[Sequence[Any]], Sequence[int]]:
    """``choose``: the first ``most`` waiting calls."""
    return lambda waiting: range(min(len(waiting), most))


def _settle(done: asyncio.Future[Any], outcome: Any) -> None:
    """Answer a caller, unless it is gone (its request was cancelled)."""
    if done.done():
        return
    if isinstance(outcome, Failed):
        done.set_exception(outcome.error)
    else:
        done.set_result(outcome)


def _observed(done: asyncio.Future[Any]) -> None:
    if not done.cancelled():
        done.exception()
