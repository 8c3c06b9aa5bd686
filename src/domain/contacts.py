"""How to reach a customer: an optional email address given at booking time.

Addresses are personal data: logs and error messages show them masked (``j***@example.com``),
never in full.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.errors import InvalidValueError

MAX_EMAIL_LENGTH = 254  # RFC 5321's limit on a forward path
# Deliberately loose where mail servers differ, strict where an address can never work; the mail
# server is the judge of deliverability. One @. Before it, 1 to 64 characters, none of them a
# space, a control character or one of @ < > ( ) [ ] \ , ; : " (quoted local parts are not
# taken). After it, a domain of at least two dot-separated labels of letters, digits and inner
# hyphens (internationalised domains in their ASCII, punycode form), the last starting with a
# letter: "name@localhost" or "name@10.0.0.1" reach nobody on the internet.
# The pattern is also the HTTP edge's (msgspec checks it, the OpenAPI document shows it), so it
# is written to mean the same in Python and in ECMAScript: no "$", which in Python also matches
# before a final line feed; "(?![\s\S])" (no character follows) ends it instead.
_LOCAL = r'[^@\s<>()\[\]\\,;:"\x00-\x1f\x7f-\x9f]{1,64}'
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_TOP = r"[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_PATTERN = rf"^{_LOCAL}@(?:{_LABEL}\.)+{_TOP}(?![\s\S])"
_EMAIL = re.compile(EMAIL_PATTERN)


@dataclass(frozen=True, slots=True, repr=False)
class EmailAddress:
    """A syntactically plausible address. Its ``repr`` (and so ``str``) is masked, so that an
    address interpolated into a log line by accident is still not disclosed; ``value`` is whole."""

    value: str

    def __post_init__(self) -> None:
        if len(self.value) > MAX_EMAIL_LENGTH or not _EMAIL.match(self.value):
            raise InvalidValueError("contact_email", "must be an email address like name@example.com")

    @classmethod
    def recorded(cls, value: str) -> EmailAddress:
        """An address as the system of record holds it, not judged again: the rule may have
        tightened since it was taken, and a booking (or a batch holding it) must stay readable."""
        address = object.__new__(cls)
        object.__setattr__(address, "value", value)
        return address

    @property
    def masked(self) -> str:
        """The first character of the local part, then ``***``: enough to tell two apart in a log."""
        local, domain = self.value.rsplit("@", 1)
        return f"{local[0]}***@{domain}"

    def __repr__(self) -> str:
        return f"EmailAddress({self.masked!r})"
