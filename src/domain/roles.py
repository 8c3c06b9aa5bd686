"""The roles a tenant's people and API keys act in (``domain.permissions`` says what each may do)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"  # everything in the tenant, including keys, staff and the audit log
    MANAGER = "manager"  # the catalogue and the bookings, not keys or staff
    STAFF = "staff"  # day-to-day bookings work
    OWNER = "owner"  # a property or event owner: reads what is theirs, and the money
    ACCOUNTANT = "accountant"  # the money: ledger, refunds, the audit log; reads only otherwise
    CUSTOMER = "customer"  # books for themself
