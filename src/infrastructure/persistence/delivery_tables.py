"""Tables of the outbox's fan-out: tenants' webhook endpoints, their deliveries, and notifications."""

from __future__ import annotations
