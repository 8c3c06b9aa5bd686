"""Emails through an SMTP server, with aiosmtplib (a maintained asyncio SMTP client).

``HOLDFAST_SMTP_URL`` says where: ``smtp://user:password@host:587?starttls=true`` (STARTTLS
after connecting; the default on port 587), ``smtp://host:25`` (plain) or ``smtps://host:465``
(TLS from the first byte). User and password are percent-decoded.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage as MimeMessage
from email.utils import formatdate
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from application.ports.email import EmailMessage

TIMEOUT_SECONDS = 30.0
_TRUE = ("1", "true", "yes", "on")


class EmailNotSentError(RuntimeError):
    """The server refused the message or could not be reached; the text never holds the address."""


@dataclass(frozen=True, slots=True)
class SmtpServer:
    host: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool
    starttls: bool | None  # None: upgrade if the server offers it

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("an SMTP URL is smtp://[user:password@]host[:port] or smtps://...")
        implicit = parts.scheme == "smtps"
        flag = parse_qs(parts.query).get("starttls", [None])[0]
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if implicit else 587),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            implicit_tls=implicit,
            starttls=None if flag is None or implicit else flag.lower() in _TRUE,
        )


class SmtpEmailSender:
    def __init__(self, url: str, sender: str) -> None:
        self._server = SmtpServer.from_url(url)
        self._sender = sender

    async def send(self, message: EmailMessage) -> None:
        server = self._server
        try:
            await aiosmtplib.send(
                self._mime(message),
                hostname=server.host,
                port=server.port,
                username=server.username,
                password=server.password,
                use_tls=server.implicit_tls,
                start_tls=server.starttls,
                timeout=TIMEOUT_SECONDS,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            # Refusals quote the recipient; what we keep and log must not (hence no chained cause).
            text = str(exc).replace(message.to.value, message.to.masked)
            raise EmailNotSentError(f"{type(exc).__name__}: {text}") from None

    def _mime(self, message: EmailMessage) -> MimeMessage:
        mime = MimeMessage()
        mime["From"] = self._sender
        mime["To"] = message.to.value
        mime["Subject"] = message.subject
        mime["Message-ID"] = message.message_id
        mime["Date"] = formatdate(usegmt=True)
        mime.set_content(message.body)
        return mime
