"""Tables of the hold journal (the Redis engine's holds, copied into Postgres) and of reconciliations."""

from __future__ import annotations
