"""Emails as JSON lines in a file: the embedded default's "mailbox", and what tests read.

Each message is one line of ``<folder>/messages.jsonl``: message id, from, to, subject, body and
when it was written. Nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

from application.ports.email import EmailMessage

FILE_NAME = "messages.jsonl"


class FileEmailSender:
    def __init__(self, folder: str | Path, sender: str) -> None:
        self.path = Path(folder) / FILE_NAME
        self._sender = sender
        self._lock = asyncio.Lock()

    async def send(self, message: EmailMessage) -> None:
        line = json.dumps(
            {
                "message_id": message.message_id,
                "from": self._sender,
                "to": message.to.value,
                "subject": message.subject,
                "body": message.body,
                "written_at": datetime.now(UTC).isoformat(),
            }
        )
        async with self._lock:  # whole lines, even with several sends at once
            await asyncio.to_thread(self._append, line)

    def _append(self, line: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as sink:
            sink.write(line + "\n")

    def read(self) -> list[dict[str, str]]:
        """Every message written so far (for tests and the curious)."""
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line]
