"""Text at the edge: one rule for every string a client sends (body fields, query and path
parameters), checked once, by msgspec, before any handler runs.

* ``Line`` (names, codes, references, URLs, filters, ids): no control character at all, that
  is no C0 (U+0000 to U+001F: NUL, tab, line feed, carriage return, escape...), no DEL and no
  C1 (U+0080 to U+009F).
* ``Text`` (free text a person writes, such as a cancellation or refund reason): the same,
  except that line feeds and tabs are kept, since a reason may have lines. A carriage return
  is still refused: clients send ``\\n`` for a line break, and a bare CR rewrites the line it
  is printed on (logs, terminals).

Why at the edge: Postgres cannot store a NUL in text and SQLite can, so without this one request
was a 201 on the embedded default and a 500 on the production profile; worse, the Redis engine
accepted the NUL and the hold journal then failed on it for everyone. Control characters also
forge lines or terminal escapes wherever text is shown (logs, CSV exports, emails).

The patterns mean the same in Python's ``re`` (msgspec) and in ECMAScript (clients reading the
OpenAPI document): they avoid ``$``, which in Python also matches before a final line feed, and
end with ``END``, "no character follows", instead.
"""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta

from domain.contacts import EMAIL_PATTERN

END = r"(?![\s\S])"
LINE_PATTERN = r"^(?![\s\S]*[\x00-\x1f\x7f-\x9f])"
TEXT_PATTERN = r"^(?![\s\S]*[\x00-\x08\x0b-\x1f\x7f-\x9f])"
# An opaque page cursor this API gave out: unpadded base64url, and never long.
CURSOR_PATTERN = rf"^[A-Za-z0-9_-]{{1,512}}{END}"
# An X-Queue-Pass: base64url parts joined by dots (infrastructure/waiting_room/passes.py).
QUEUE_PASS_PATTERN = rf"^[A-Za-z0-9_.-]{{1,1024}}{END}"

Line = Annotated[str, Meta(pattern=LINE_PATTERN)]
Text = Annotated[str, Meta(pattern=TEXT_PATTERN)]

# What a client reads instead of msgspec's "Expected `str` matching regex '...'".
PATTERN_MESSAGES = {
    LINE_PATTERN: "must not contain control characters (NUL, line breaks, tabs, escapes...)",
    TEXT_PATTERN: "must not contain control characters other than line feeds and tabs",
    CURSOR_PATTERN: "is not a cursor this API gave out",
    EMAIL_PATTERN: "must be an email address like name@example.com",
}
