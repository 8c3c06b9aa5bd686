"""Sending email: SMTP in production, a file sink in the embedded default and in tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from domain.contacts import EmailAddress


@dataclass(frozen=True, slots=True)
class EmailMessage:
    """A plain-text email. ``message_id`` is the same on every try, so a receiving system can
    tell a resend from a new message."""

    message_id: str
    to: EmailAddress
    subject: str
    body: str


class EmailSender(Protocol):
    async def send(self, message: EmailMessage) -> None:
        """Hand the message over for delivery; raising means "not sent, try again later"."""
        ...
