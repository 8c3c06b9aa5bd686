"""Control characters in text that came from outside: what they are, and how to show them.

Control characters are C0 (U+0000 to U+001F), DEL and C1 (U+0080 to U+009F). Postgres cannot
store a NUL in text at all, and the others forge lines or terminal escapes wherever text is
shown (logs, terminals, CSV exports, emails).
"""

from __future__ import annotations

import re

from domain.errors import InvalidValueError

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str, *, keep: str = "") -> str:
    """``text`` with its control characters escaped (``\\x00``, ``\\n``) but those in ``keep``:
    for echoing text from outside into an answer, a log line or a record without letting it
    forge lines there, nor making it unstorable."""

    def escaped(found: re.Match[str]) -> str:
        char = found.group()
        return char if char in keep else char.encode("unicode_escape").decode()

    return _CONTROL.sub(escaped, text)


def check_line(field: str, value: str) -> str:
    """``value`` if it holds no control character, else ``InvalidValueError`` on ``field``.

    For what a command is about to store: never for what is read back from storage, which
    must stay readable whatever rule it was taken under."""
    if _CONTROL.search(value):
        raise InvalidValueError(field, "must not contain control characters")
    return value
