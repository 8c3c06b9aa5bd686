"""Writing a batch so that one row the database refuses for what it holds does not sink the rest.

Postgres refuses text with a NUL, a value too long for its column or one that breaks a
constraint, and then fails the whole statement (and its transaction). A batch job that wrote
its batch in one statement would fail on such a row every round, forever, for everyone. The
batch is written in one go under a savepoint; only when the database refuses it for its content
is it written again row by row, each under its own savepoint, and the rows refused are returned
for the job to record. A database that is down or unreachable is not a row's fault: that error
is raised as before, and the job's round fails and is tried again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import sqlalchemy.exc
from sqlalchemy.ext.asyncio import AsyncSession

from application.ports.jobs import RefusedItem
from domain.text import printable

Row = TypeVar("Row")
# SQLSTATE classes of a refusal for content: 22 data exception (bad encoding, too long, out of
# range), 23 integrity constraint violation.
_CONTENT_CLASSES = ("22", "23")
MAX_REASON = 300


def refused_for_content(exc: BaseException) -> bool:
    """The database (or its driver, encoding the values) refused the values, not the connection."""
    if isinstance(exc, sqlalchemy.exc.DataError | sqlalchemy.exc.IntegrityError | UnicodeError):
        return True
    for cause in _chain(exc):
        sqlstate = getattr(cause, "sqlstate", None)
        if (isinstance(sqlstate, str) and sqlstate[:2] in _CONTENT_CLASSES) or isinstance(cause, UnicodeError):
            return True
    return False


async def write_isolating(
    session: AsyncSession,
    rows: Sequence[Row],
    write: Callable[[list[Row]], Awaitable[None]],
    ident: Callable[[Row], str],
) -> list[RefusedItem]:
    """Writes ``rows`` with ``write``; returns those refused for their content (the rest are
    written). One statement and one savepoint when every row is fine."""
    try:
        async with session.begin_nested():
            await write(list(rows))
        return []
    except (sqlalchemy.exc.StatementError, UnicodeError) as exc:
        if not refused_for_content(exc):
            raise
    refused = []
    for row in rows:
        try:
            async with session.begin_nested():
                await write([row])
        except (sqlalchemy.exc.StatementError, UnicodeError) as exc:
            if not refused_for_content(exc):
                raise
            refused.append(RefusedItem(ident(row), reason(exc)))
    return refused


def reason(exc: BaseException) -> str:
    """The driver's own words (without the statement and its parameters, which hold the very
    values refused), printable and short."""
    deepest = _chain(exc)[-1]
    return printable(f"{type(deepest).__name__}: {deepest}")[:MAX_REASON]


def _chain(exc: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or getattr(current, "orig", None)
    return found
