"""Tables of the job system: dead letters (jobs that failed every attempt)."""

from __future__ import annotations
