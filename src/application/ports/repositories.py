"""Persistence ports: the system of record for tenants, listings, pools and bookings."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Generic, Protocol, Self, TypeVar
from uuid import UUID

from application.ports.audit import AuditRepository
from application.ports.booking_changes import BookingChangeRepository
from application.ports.journal import HoldJournalRepository
from application.ports.ledger import LedgerRepository
from application.ports.listing_search import ListingSearch, ListingSearchPage
from application.ports.notifications import NotificationRepository
from application.ports.outbox import OutboxRepository
from application.ports.outgoing_webhooks import WebhookDeliveryRepository, WebhookEndpointRepository
from application.ports.ownership import ListingOwnerRepository
from application.ports.pricing import PricePlanRepository, QuoteRepository
from application.ports.reconciliation import ReconciliationRepository
from application.ports.relay import OutboxRelay
from application.ports.sales import SalesRepository
from application.ports.seat_maps import SeatMapRepository
from application.ports.stays import StayRepository
from application.ports.webhooks import WebhookInboxRepository
from domain.bookings import Booking, BookingStatus, PaymentStatus
from domain.disputes import Dispute
from domain.listings import Listing, Pool
from domain.reconciliation import ReconciliationScope
from domain.refunds import Refund
from domain.roles import Role
from domain.sessions import RefreshToken
from domain.tenants import KeyHolder, Tenant
from domain.users import User

T = TypeVar("T")

MAX_PAGE_SIZE = 200


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Keyset pagination: items strictly after ``after`` (created_at, id), oldest first."""

    limit: int = 50
    after: tuple[datetime, UUID] | None = None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_after: tuple[datetime, UUID] | None = None


@dataclass(frozen=True, slots=True)
class BookingFilter:
    status: BookingStatus | None = None
    listing_id: UUID | None = None
    customer_ref: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    payment_status: PaymentStatus | None = None
    listing_ids: frozenset[UUID] | None = None  # any of these listings (an owner's)


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    """An API key as stored: only its hash, never the key itself."""

    id: UUID
    tenant_id: UUID
    key_hash: str
    label: str
    created_at: datetime
    scopes: tuple[str, ...] = field(default_factory=tuple)
    revoked_at: datetime | None = None  # set ahead for a grace period (``KeyHolder``)
    role: Role = Role.ADMIN
    expires_at: datetime | None = None  # the end it was made with (``KeyHolder``); None: none


@dataclass(frozen=True, slots=True)
class Principal:
    """Who an active API key speaks for, and what else it may do (e.g. the "operator" scope)."""

    tenant: Tenant
    scopes: frozenset[str] = frozenset()


class ApiKeyRepository(Protocol):
    async def principal_for_key(self, key_hash: str, now: datetime) -> Principal | None:
        """The tenant and scopes of the key with this hash, if it is active at ``now`` (not
        revoked, or revoked from a later instant: a rotation's grace period)."""
        ...


class TenantRepository(Protocol):
    async def add(self, tenant: Tenant) -> None: ...

    async def get(self, tenant_id: UUID) -> Tenant:
        """The tenant; ``NotFoundError`` when absent."""
        ...

    async def lock(self, tenant_id: UUID) -> None:
        """Lock the tenant's row until the unit of work ends: per-tenant limits (counted, then
        added to) are checked one writer at a time."""
        ...

    async def find_by_name(self, name: str) -> Tenant | None: ...

    async def add_key(self, key: ApiKeyRecord) -> None: ...

    async def holder_for_key(self, key_hash: str, now: datetime) -> KeyHolder | None:
        """The tenant owning the key with this hash, if it is active at ``now``."""
        ...

    async def active_keys(self, now: datetime) -> dict[str, KeyHolder]:
        """Every key active at ``now``, by hash, with its tenant and the instant it stops (a
        grace period's end) if it has one: the hot path's cached key directory."""
        ...

    async def revoke_key(self, key_hash: str, at: datetime) -> bool:
        """End the key with this hash at ``at`` (now, or a grace period's end); a key that
        already ends earlier keeps its earlier end (a deadline is never pushed back). False
        when the key is unknown or ends by ``at`` already."""
        ...

    async def active_key(self, key_hash: str, now: datetime) -> ApiKeyRecord | None:
        """The key with this hash as stored, if it is active at ``now``; None otherwise."""
        ...

    # The keys a tenant manages itself (``/v1/api-keys``): its keys active at ``now`` that carry
    # no scope. A scoped key (an operator key) is ops' business: never listed, shown or ended here.

    async def managed_keys(self, tenant_id: UUID, page: PageRequest, now: datetime) -> Page[ApiKeyRecord]:
        """A page of the tenant's managed keys, oldest first."""
        ...

    async def managed_key(self, tenant_id: UUID, key_id: UUID, now: datetime) -> ApiKeyRecord | None:
        """The tenant's managed key with this id; None for another tenant's, an ended or a scoped key."""
        ...

    async def revoke_managed_key(self, tenant_id: UUID, key_id: UUID, at: datetime) -> bool:
        """End the tenant's managed key at ``at``; False when there is no such key active at ``at``."""
        ...


class ListingRepository(Protocol):
    async def add(self, listing: Listing) -> None: ...

    async def get(self, tenant_id: UUID, listing_id: UUID, *, lock: bool = False) -> Listing:
        """The tenant's listing; another tenant's is ``NotFoundError`` as if absent. ``lock``:
        locked until the unit of work ends (its pools are added one at a time under it)."""
        ...

    async def save_queue(self, listing: Listing) -> None:
        """Stores the listing's queue settings (and its version)."""
        ...

    async def queued(self) -> list[Listing]:
        """Every tenant's listings whose queue mode is on."""
        ...

    async def list(self, tenant_id: UUID, page: PageRequest) -> Page[Listing]: ...

    async def save(self, listing: Listing) -> None:
        """Writes a changed listing (its fields, details, archive and queue settings);
        ``ConflictError`` when its version moved meanwhile."""
        ...

    async def search(self, tenant_id: UUID, search: ListingSearch) -> ListingSearchPage:
        """The tenant's listings that pass ``search.where``, in ``search.sort`` order (ties by
        id), a keyset page after ``search.after``."""
        ...


class PoolRepository(Protocol):
    async def add(self, pool: Pool) -> None:
        """Adds the pool; ``DuplicateError`` if its listing has a pool with that code."""
        ...

    async def get(self, tenant_id: UUID, pool_id: UUID) -> Pool: ...

    async def for_listing(self, tenant_id: UUID, listing_id: UUID) -> list[Pool]: ...

    async def page_for_listing(self, tenant_id: UUID, listing_id: UUID, page: PageRequest) -> Page[Pool]:
        """The listing's pools, a page at a time (oldest first)."""
        ...

    async def any_exist(self) -> bool:
        """Whether the catalogue has a pool at all, of any tenant (one row read at most)."""
        ...

    async def save(self, pool: Pool) -> None:
        """Writes a changed pool (capacity, name, unit price, archive); ``ConflictError`` when
        its version moved meanwhile."""
        ...

    async def record_sold(self, changes: Sequence[tuple[UUID, int]]) -> None:
        """Adds sold units per pool in the record; the database refuses sold > capacity
        (``InsufficientInventoryError``, after which the unit of work can only be rolled back)."""
        ...


class BookingRepository(Protocol):
    async def add(self, booking: Booking) -> None:
        """Adds the booking; ``DuplicateError`` if its hold has one (the unit of work goes on)."""
        ...

    async def add_new(self, new: Sequence[Booking]) -> set[UUID]:
        """Adds, with their histories, the bookings whose holds have none yet, in as few
        statements as the store allows; the ids of those added (a booked hold's is skipped)."""
        ...

    async def get(self, tenant_id: UUID, booking_id: UUID, *, lock: bool = False) -> Booking:
        """``lock``: no other unit of work that locks the booking reads or changes it until this
        one ends. Every change to a booking's money (refunds asked for and recorded, captures)
        reads it locked, so that checking what is left and recording what moved are one step."""
        ...

    async def get_by_hold(self, tenant_id: UUID, hold_id: UUID) -> Booking | None: ...

    async def awaiting_payment_due(self, now: datetime, limit: int) -> list[Booking]:
        """Bookings still awaiting payment whose payment deadline (the hold's expiry) passed."""
        ...

    async def get_by_intent(self, intent_id: str, *, lock: bool = False) -> Booking | None:
        """The booking paid by a PaymentIntent, whatever its tenant (webhooks carry no tenant)."""
        ...

    async def list(self, tenant_id: UUID, where: BookingFilter, page: PageRequest) -> Page[Booking]: ...

    async def with_payment(self, scope: ReconciliationScope, page: PageRequest) -> Page[Booking]:
        """Bookings that have a PaymentIntent, in the scope (any tenant when it names none),
        oldest first, a page at a time."""
        ...

    async def count_with_payment(self, scope: ReconciliationScope) -> int: ...

    async def save(self, booking: Booking) -> None:
        """Writes the booking's new state and transitions; ``ConflictError`` on a stale version."""
        ...


class RefundRepository(Protocol):
    async def add(self, refund: Refund) -> None: ...

    async def save(self, refund: Refund) -> None: ...

    async def for_booking(self, booking_id: UUID) -> list[Refund]: ...

    async def by_gateway_id(self, gateway_refund_id: str) -> Refund | None: ...

    async def requested_before(self, cutoff: datetime, limit: int) -> list[Refund]:
        """Refunds still ``requested`` whose row has not changed since ``cutoff``, oldest first."""
        ...

    async def claim(self, refund_id: UUID, cutoff: datetime, now: datetime) -> bool:
        """Touch a refund still ``requested`` and unchanged since ``cutoff`` (its ``updated_at``
        becomes ``now``), in one conditional update; False when another worker touched it
        first or it moved on. Of several workers claiming one refund, one wins."""
        ...


class DisputeRepository(Protocol):
    async def add(self, dispute: Dispute) -> bool:
        """Records the dispute; False (and nothing changes) when its provider id is known."""
        ...

    async def for_booking(self, booking_id: UUID) -> list[Dispute]: ...


class UserRepository(Protocol):
    async def add(self, user: User) -> None:
        """``DuplicateError`` when the tenant already has a user with that email."""
        ...

    async def get(self, tenant_id: UUID, user_id: UUID, *, lock: bool = False) -> User:
        """The tenant's user; ``NotFoundError`` for another tenant's or none."""
        ...

    async def by_email(self, tenant_id: UUID, email: str, *, lock: bool = False) -> User | None:
        """By the normalized email (``domain.users.normalize_email``)."""
        ...

    async def by_invitation(self, invitation_hash: str) -> User | None: ...

    async def staff(self, tenant_id: UUID, page: PageRequest) -> Page[User]:
        """The tenant's staff (every role but customer), oldest first, disabled ones too."""
        ...

    async def save(self, user: User) -> None: ...


class RefreshTokenRepository(Protocol):
    async def add(self, token: RefreshToken) -> None: ...

    async def by_hash(self, token_hash: str) -> RefreshToken | None: ...

    async def use(self, token_id: UUID, now: datetime) -> bool:
        """Mark an active token used, atomically: False when it was used or revoked meanwhile
        (two refreshes racing with one token: one wins, the other is reuse)."""
        ...

    async def revoke_family(self, family_id: UUID, now: datetime) -> None: ...

    async def revoke_user(self, user_id: UUID, now: datetime) -> None:
        """Every family of the user (disabled, or its password changed)."""
        ...


class UnitOfWork(Protocol):
    """One transaction over the repositories (and over the SQL engine when it is in use).

    Nothing is kept unless ``commit`` is awaited inside the block.
    """

    tenants: TenantRepository
    api_keys: ApiKeyRepository
    webhooks: WebhookInboxRepository
    listings: ListingRepository
    pools: PoolRepository
    bookings: BookingRepository
    refunds: RefundRepository
    disputes: DisputeRepository
    ledger: LedgerRepository
    outbox: OutboxRepository
    outbox_relay: OutboxRelay
    webhook_endpoints: WebhookEndpointRepository
    webhook_deliveries: WebhookDeliveryRepository
    notifications: NotificationRepository
    hold_journal: HoldJournalRepository
    reconciliations: ReconciliationRepository
    audit: AuditRepository
    users: UserRepository
    refresh_tokens: RefreshTokenRepository
    seat_maps: SeatMapRepository
    listing_owners: ListingOwnerRepository
    sales: SalesRepository
    stays: StayRepository
    prices: PricePlanRepository
    quotes: QuoteRepository
    booking_changes: BookingChangeRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
