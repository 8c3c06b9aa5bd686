"""How to reach a customer: an optional email address given at booking time.

Addresses are personal data: logs and error messages show them masked (``j***@example.com``),
never in full.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.errors import InvalidValueError

MAX_EMAIL_LENGTH = 254  # RFC 5321's limit on a forward path
# Deliberately loose (one @, a dotted domain, no spaces or angle brackets): the mail server is
# the judge of deliverability; this only keeps out what can never be an address.
_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")


@dataclass(frozen=True, slots=True, repr=False)
class EmailAddress:
    """A syntactically plausible address. Its ``repr`` (and so ``str``) is masked, so that an
    address interpolated into a log line by accident is still not disclosed; ``value`` is whole."""

    value: str

    def __post_init__(self) -> None:
        if len(self.value) > MAX_EMAIL_LENGTH or not _EMAIL.match(self.value):
            raise InvalidValueError("contact_email", "must be an email address like name@example.com")

    @property
    def masked(self) -> str:
        """The first character of the local part, then ``***``: enough to tell two apart in a log."""
        local, domain = self.value.rsplit("@", 1)
        return f"{local[0]}***@{domain}"

    def __repr__(self) -> str:
        return f"EmailAddress({self.masked!r})"
