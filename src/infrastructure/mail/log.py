"""Emails as log lines: for environments that must not send mail. The address is masked."""

from __future__ import annotations

from loguru import logger

from application.ports.email import EmailMessage


class LogEmailSender:
    def __init__(self, sender: str) -> None:
        self._sender = sender

    async def send(self, message: EmailMessage) -> None:
        logger.info("email {} to {}: {}", message.message_id, message.to.masked, message.subject)
