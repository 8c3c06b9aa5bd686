"""A lost database or Redis is a 503 with Retry-After, however the driver words it; a bug is a 500."""

from __future__ import annotations

import asyncpg.exceptions
import pytest
import sqlalchemy.exc
from redis import exceptions as redis_errors

from interfaces.http.errors import answered_status, is_dependency_failure


def _wrapped(cause: BaseException, *, invalidated: bool = False) -> sqlalchemy.exc.DBAPIError:
    """What SQLAlchemy's asyncpg dialect raises: a DBAPIError around an adapted error around the driver's."""
    adapted = Exception(str(cause))
    adapted.__cause__ = cause
    return sqlalchemy.exc.DBAPIError("INSERT INTO bookings ...", None, adapted, connection_invalidated=invalidated)


@pytest.mark.parametrize(
    "exc",
    [
        _wrapped(asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation")),
        _wrapped(asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command")),
        _wrapped(asyncpg.exceptions.CannotConnectNowError("the database system is starting up")),
        _wrapped(asyncpg.exceptions.TooManyConnectionsError("too many clients already")),
        _wrapped(BrokenPipeError(32, "Broken pipe")),
        _wrapped(Exception("whatever"), invalidated=True),
        OSError("Multiple exceptions: [Errno 111] Connect call failed ('127.0.0.1', 5432)"),
        ConnectionRefusedError(111, "Connection refused"),
        redis_errors.ConnectionError("Error 111 connecting to 127.0.0.1:6379"),
        redis_errors.TimeoutError("Timeout reading from socket"),
        sqlalchemy.exc.OperationalError("SELECT 1", None, Exception("server closed the connection")),
    ],
)
def test_a_lost_dependency_is_answered_503(exc: BaseException) -> None:
    assert is_dependency_failure(exc)
    assert answered_status(exc) == 503


@pytest.mark.parametrize(
    "exc",
    [
        _wrapped(asyncpg.exceptions.UndefinedTableError('relation "bookings" does not exist')),
        sqlalchemy.exc.ProgrammingError("SELEC 1", None, Exception("syntax error")),
        FileNotFoundError(2, "No such file or directory"),
        ValueError("a bug"),
        KeyError("a bug"),
    ],
)
def test_a_bug_is_still_a_500(exc: BaseException) -> None:
    assert not is_dependency_failure(exc)
    assert answered_status(exc) == 500
