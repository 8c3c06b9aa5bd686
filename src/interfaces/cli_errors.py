"""The ``holdfast`` command's one error boundary: a problem the user can fix is said in one line
on stderr, and the command exits with status 2.

Known problems are those of the input or of the environment: a business rule (a tenant that
exists already, an empty name), a bad setting, a migration revision that does not exist, a
database or Redis that does not answer, a database without its schema, a file that cannot be
made, a port that is taken. Anything else is a bug in Holdfast, and keeps Python's traceback
(and exit status 1): that is what a bug report needs, and hiding it would leave nothing to
fix it with. ``holdfast serve`` and ``holdfast worker`` keep their own status 1 for a
dependency that does not come up in time (``infrastructure.startup``), for their supervisors.
"""

from __future__ import annotations

from typing import Any

import click

EXIT_USAGE = 2  # as click's own usage errors


class CliError(Exception):
    """A problem the command found itself; the message says what it is and what to do."""


class HoldfastGroup(click.Group):
    """A click group whose commands fail in one line (see the module's docstring), and whose
    command list shows each command's whole first sentence, wrapped (click cuts it at ~50
    columns, mid-parenthesis as often as not). Click still ends the sentence at the first word
    that ends in a full stop: a first sentence says "for example", not "e.g."."""

    group_class = type  # `@main.group()` makes groups of this class too

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            line = describe(exc)
            if line is None:
                raise
            click.echo(f"holdfast: {line}", err=True)
            ctx.exit(EXIT_USAGE)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        commands = [(name, self.get_command(ctx, name)) for name in self.list_commands(ctx)]
        shown = [(name, command) for name, command in commands if command is not None and not command.hidden]
        rows = [(name, command.get_short_help_str(limit=1_000)) for name, command in shown]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def describe(exc: BaseException) -> str | None:
    """One line for a known problem; None for anything else (a bug, or click's own exceptions,
    which click reports itself)."""
    from alembic.util import CommandError
    from redis.exceptions import RedisError

    from domain.errors import DomainError
    from infrastructure.settings import SettingsError

    if isinstance(exc, CliError):
        return str(exc)
    if isinstance(exc, DomainError):
        return exc.message
    if isinstance(exc, SettingsError):
        return f"bad setting: {exc}"
    if isinstance(exc, CommandError):
        return f"cannot migrate: {exc}"
    if isinstance(exc, RedisError):
        return f"Redis failed (check HOLDFAST_REDIS_URL): {_reason(exc)}"
    return _database_problem(exc) or _file_problem(exc)


def _database_problem(exc: BaseException) -> str | None:
    import sqlalchemy.exc

    from interfaces.http.errors import is_dependency_failure

    if _missing_table(exc):
        return f"the database lacks a table (no schema yet, or an old one: run `holdfast migrate`): {_reason(exc)}"
    if is_dependency_failure(exc) or isinstance(exc, sqlalchemy.exc.DBAPIError):
        return f"the database failed (check HOLDFAST_DATABASE_URL): {_reason(exc)}"
    return None


def _missing_table(exc: BaseException) -> bool:
    """SQLite's "no such table", or Postgres' undefined_table (SQLSTATE 42P01)."""
    import sqlalchemy.exc

    if not isinstance(exc, sqlalchemy.exc.DBAPIError):
        return False
    return str(exc.orig).startswith("no such table") or getattr(exc.orig, "sqlstate", None) == "42P01"


def _file_problem(exc: BaseException) -> str | None:
    """A file or folder that cannot be made or read (an SQLite path in a folder that is not
    there, a read-only disk). Connection failures are OSErrors too, and were told apart above."""
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.strerror or type(exc).__name__}: {exc.filename}"
    return None


def _reason(exc: BaseException) -> str:
    """The driver's own message, first line only (SQLAlchemy appends the SQL and a link)."""
    import sqlalchemy.exc

    inner = exc.orig if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.orig is not None else exc
    text = str(inner).strip().splitlines()
    return f"{type(inner).__name__}: {text[0] if text else ''}".rstrip(": ")
