"""Security events as log lines: one WARNING line each, with an ``event`` field to alert on."""

from __future__ import annotations

from uuid import UUID

from loguru import logger


class LoguruSecurityEvents:
    """``event=security.refresh_token_reuse tenant_id=... user_id=...``: the audit log is meant
    to record these too (wrap or replace this adapter in the container)."""

    def record(self, event: str, tenant_id: UUID, user_id: UUID | None, **detail: str) -> None:
        fields = {"event": event, "tenant_id": str(tenant_id), "user_id": str(user_id) if user_id else "-", **detail}
        logger.bind(**fields).warning("security event {} (tenant {}, user {})", event, tenant_id, user_id)
