"""The composition root: the only place that names concrete adapters.

Containers are split by role (core, gateways, use cases) and composed by ``Container``.
Tests override providers (``container.gateways.inventory.override(...)``) instead of patching.
"""

from __future__ import annotations

import operator
import random
from datetime import timedelta

from dependency_injector import containers, providers
from redis.asyncio import BlockingConnectionPool, Redis
from redis.maint_notifications import MaintNotificationsConfig

from application.use_cases.archive_listing import ArchiveListingHandler
from application.use_cases.authenticate import AuthenticateHandler
from application.use_cases.authorize_operator import AuthorizeOperatorHandler
from application.use_cases.booking_change_payments import ChangeAwarePaymentEvents
from application.use_cases.booking_change_steps import BookingChangeSteps
from application.use_cases.cancel_booking import CancelBookingHandler
from application.use_cases.change_booking import ChangeBookingHandler
from application.use_cases.change_listing import ChangeListingHandler
from application.use_cases.change_pool import ChangePoolHandler
from application.use_cases.check_rate_limit import CheckRateLimitHandler
from application.use_cases.create_api_key import CreateApiKeyHandler
from application.use_cases.create_booking import CreateBookingHandler
from application.use_cases.create_listing import CreateListingHandler
from application.use_cases.create_pool import CreatePoolHandler
from application.use_cases.create_webhook_endpoint import CreateWebhookEndpointHandler
from application.use_cases.delete_api_key import DeleteApiKeyHandler
from application.use_cases.delete_webhook_endpoint import DeleteWebhookEndpointHandler
from application.use_cases.deliver_webhooks import DeliverWebhooksHandler
from application.use_cases.enable_webhook_endpoint import EnableWebhookEndpointHandler
from application.use_cases.expire_bookings import ExpireBookingsHandler
from application.use_cases.expire_holds import ExpireHoldsHandler
from application.use_cases.free_bookings import GroupedFreeBookingWriter, SingleFreeBookingWriter
from application.use_cases.get_api_key import GetApiKeyHandler
from application.use_cases.get_availability import GetAvailabilityHandler
from application.use_cases.get_booking import GetBookingHandler
from application.use_cases.get_booking_ledger import GetBookingLedgerHandler
from application.use_cases.get_hold import GetHoldHandler
from application.use_cases.get_ledger_balances import GetLedgerBalancesHandler
from application.use_cases.get_listing import GetListingHandler
from application.use_cases.get_pool import GetPoolHandler
from application.use_cases.get_queue_ticket import GetQueueTicketHandler, QueueStatusReader
from application.use_cases.get_reconciliation import GetReconciliationHandler
from application.use_cases.get_seat_map import GetSeatMapHandler
from application.use_cases.get_webhook_backlog import GetWebhookBacklogHandler
from application.use_cases.get_webhook_endpoint import GetWebhookEndpointHandler
from application.use_cases.handle_payment_event import HandlePaymentEventHandler
from application.use_cases.identity.accept_invitation import AcceptInvitationHandler
from application.use_cases.identity.console import ConsoleSignInHandler, CreateUserHandler
from application.use_cases.identity.login import LoginHandler
from application.use_cases.identity.logout import LogoutHandler
from application.use_cases.identity.me import GetMeHandler, UpdateMeHandler
from application.use_cases.identity.refresh_session import RefreshSessionHandler
from application.use_cases.identity.register_customer import RegisterCustomerHandler
from application.use_cases.identity.sessions import SessionIssuer
from application.use_cases.identity.staff import DisableStaffHandler, InviteStaffHandler, ListStaffHandler
from application.use_cases.inventory_state import CheckInventoryStateHandler
from application.use_cases.issue_api_key import IssueApiKeyHandler
from application.use_cases.join_queue import JoinQueueHandler
from application.use_cases.journal_holds import JournalHoldsHandler
from application.use_cases.leave_queue import LeaveQueueHandler
from application.use_cases.list_api_keys import ListApiKeysHandler
from application.use_cases.list_audit_logs import ListAuditLogsHandler
from application.use_cases.list_booking_changes import ListBookingChangesHandler
from application.use_cases.list_bookings import ListBookingsHandler
from application.use_cases.list_disputes import ListDisputesHandler
from application.use_cases.list_holds import ListHoldsHandler
from application.use_cases.list_listings import ListListingsHandler
from application.use_cases.list_refunds import ListRefundsHandler
from application.use_cases.list_webhook_deliveries import ListWebhookDeliveriesHandler
from application.use_cases.list_webhook_endpoints import ListWebhookEndpointsHandler
from application.use_cases.list_webhook_events import ListWebhookEventsHandler
from application.use_cases.listing_owners import (
    AddListingOwnerHandler,
    ListListingOwnersHandler,
    RemoveListingOwnerHandler,
)
from application.use_cases.live_inventory import GetLiveInventoryHandler
from application.use_cases.maintain_audit_log import MaintainAuditLogHandler
from application.use_cases.manage_jobs import (
    GetJobsStatusHandler,
    ListDeadLettersHandler,
    ReplayDeadLetterHandler,
    RunJobNowHandler,
)
from application.use_cases.owner_reads import OwnerBookingsHandler, OwnerListingsHandler, OwnerRevenueHandler
from application.use_cases.place_hold import PlaceHoldHandler
from application.use_cases.place_seat_hold import PlaceSeatHoldHandler
from application.use_cases.pricing.create_quote import CreateQuoteHandler, GetQuoteHandler
from application.use_cases.pricing.hold_quote import HoldQuoteHandler
from application.use_cases.pricing.set_pricing import GetPricingHandler, SetPricingHandler
from application.use_cases.process_webhook_event import ProcessWebhookEventHandler
from application.use_cases.public_catalogue import PublicCatalogueHandler
from application.use_cases.purge_idempotency_keys import PurgeIdempotencyKeysHandler
from application.use_cases.purge_old_records import PurgeOldRecordsHandler
from application.use_cases.queue_gate import QueueGate
from application.use_cases.rebuild_lost_inventory import RebuildLostInventoryHandler
from application.use_cases.receive_webhook import ReceiveWebhookHandler
from application.use_cases.reconcile_inventory import InventoryReconciler
from application.use_cases.reconcile_payments import PaymentsReconciler
from application.use_cases.refund_booking import RefundBookingHandler
from application.use_cases.register_tenant import RegisterTenantHandler
from application.use_cases.relay_outbox import RelayOutboxHandler
from application.use_cases.release_hold import ReleaseHoldHandler
from application.use_cases.release_queues import ReleaseQueuesHandler
from application.use_cases.replay_webhook_event import ReplayWebhookEventHandler
from application.use_cases.resize_pool import ResizePoolHandler
from application.use_cases.resume_booking_changes import ResumeBookingChangesHandler
from application.use_cases.retry_refunds import RetryRequestedRefundsHandler
from application.use_cases.retry_webhook_events import RetryWebhookEventsHandler
from application.use_cases.revoke_api_key import RevokeApiKeyHandler
from application.use_cases.rotate_api_key import RotateApiKeyHandler
from application.use_cases.run_idempotently import IdempotencyPolicy, RunIdempotentlyHandler
from application.use_cases.run_reconciliation import RunReconciliationHandler
from application.use_cases.sales_report import SalesReportHandler
from application.use_cases.send_notifications import SendNotificationsHandler
from application.use_cases.set_listing_queue import SetListingQueueHandler
from application.use_cases.set_pool_overbooking import SetPoolOverbookingHandler
from application.use_cases.set_seat_map import SetSeatMapHandler
from application.use_cases.start_reconciliation import StartReconciliationHandler
from application.use_cases.stays.blocks import BlockNightsHandler, ListBlocksHandler, UnblockNightsHandler
from application.use_cases.stays.calendar import GetCalendarHandler
from application.use_cases.stays.extend_horizon import ExtendStayHorizonHandler
from application.use_cases.stays.place_stay_hold import PlaceStayHoldHandler
from application.use_cases.stays.room_types import CreateRoomTypeHandler, ListRoomTypesHandler
from application.use_cases.stays.rules import GetStayRulesHandler, SetStayRulesHandler
from domain.outgoing_webhooks import DeliveryPolicy
from domain.webhooks import RetryPolicy
from infrastructure import tracing
from infrastructure.catalogue.price_plans import PRICE_PLAN_MAX_AGE_SECONDS, TtlPricePlans
from infrastructure.catalogue.public_cache import ProcessPublicCache
from infrastructure.catalogue.redis_cache import RedisCatalogueCache
from infrastructure.catalogue.sql_cache import SqlCatalogueCache
from infrastructure.catalogue.uncached import UncachedCatalogue
from infrastructure.clock import RandomIds, SystemClock
from infrastructure.diagnostics import read_build_info
from infrastructure.idempotency_redis import RedisIdempotencyStore
from infrastructure.idempotency_sealing import SealedIdempotencyStore
from infrastructure.identity.jwt_tokens import PyJwtAccessTokens
from infrastructure.identity.passwords import Argon2PasswordHasher
from infrastructure.identity.security_events import LoguruSecurityEvents
from infrastructure.inventory.memory import MemoryInventoryEngine
from infrastructure.inventory.redis_journal import RedisHoldJournal
from infrastructure.inventory.redis_lua import RedisLuaInventoryEngine
from infrastructure.inventory.sql import SqlInventoryEngine
from infrastructure.jobs.dead_letters import SqlDeadLetterStore
from infrastructure.jobs.failed_rounds import FailedRounds, SqlJobRoundStore
from infrastructure.jobs.in_process import InProcessJobQueue
from infrastructure.jobs.policies import job_policies, periodic_jobs
from infrastructure.jobs.saq_queue import SaqJobQueue
from infrastructure.mail.file_sink import FileEmailSender
from infrastructure.mail.log import LogEmailSender
from infrastructure.mail.smtp import SmtpEmailSender
from infrastructure.metrics import PrometheusMetrics
from infrastructure.outgoing_http import HttpxWebhookSender
from infrastructure.payments.fake import FakePaymentGateway
from infrastructure.payments.stripe_gateway import StripePaymentGateway
from infrastructure.payments.stripe_webhooks import StripeWebhookVerifier
from infrastructure.persistence.audit_partitions import SqlAuditMaintenance
from infrastructure.persistence.cloudevents import known_event_types
from infrastructure.persistence.database import Database
from infrastructure.persistence.idempotency import SqlIdempotencyStore
from infrastructure.persistence.inventory_record import SqlEngineInventoryRecord, SqlJournalInventoryRecord
from infrastructure.persistence.journal import SqlJournalHoldList
from infrastructure.persistence.quote_writes import SqlQuoteWriter
from infrastructure.persistence.retention import SqlRetentionStore
from infrastructure.persistence.unit_of_work import SqlUnitOfWork
from infrastructure.rate_limits.memory import InProcessRateLimiter
from infrastructure.rate_limits.redis import RedisLuaRateLimiter
from infrastructure.redis_connections import with_fast_packing
from infrastructure.settings import Settings
from infrastructure.waiting_room.passes import HmacQueuePasses
from infrastructure.waiting_room.redis_room import RedisWaitingRoom
from infrastructure.waiting_room.sql_room import SqlWaitingRoom


def _redis_client(url: str | None) -> Redis | None:
    """A client whose pool waits for a free connection under a rush instead of failing at once,
    and whose connections pack commands cheaply (``redis_connections``).

    Maintenance notifications are off: with them on (redis-py 8's default, "auto") the pool no
    longer checks a connection it hands out for a server that closed it, so after a Redis restart
    each idle connection failed its next command once ("Connection closed by server", a 503)."""
    if url is None:
        return None
    pool = BlockingConnectionPool.from_url(
        url, max_connections=128, timeout=5, maint_notifications_config=MaintNotificationsConfig(enabled=False)
    )
    return Redis(connection_pool=with_fast_packing(pool))


class Core(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(RandomIds)
    build_info = providers.Singleton(read_build_info)  # create_app reads it, never a request


class Gateways(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    clock = providers.Dependency()  # Core's: the fake signs webhooks and the verifier ages them on it
    database = providers.Singleton(
        Database, url=settings.provided.database_url, pool_size=settings.provided.db_pool_size
    )
    redis = providers.Singleton(_redis_client, url=settings.provided.redis_url)
    # One registry per container: each app (and each test's app) counts from zero.
    metrics = providers.Singleton(PrometheusMetrics)
    uow = providers.Factory(SqlUnitOfWork, database=database, metrics=metrics, clock=clock)
    # The hot path's keys and listings, cached per process: with the Redis engine kept correct by
    # pub/sub (+ max age), so a hold reads no database; with the sql engine by a version row read
    # at most once per check interval, so a hold is the engine's one transaction. The memory
    # engine (tests, teams swapping adapters) reads each time.
    _uncached_catalogue = providers.Singleton(UncachedCatalogue, uow=uow.provider)
    # Quotes: the plans per process (a plan set elsewhere is used within a second), and a new
    # quote's one write (infrastructure/persistence/quote_writes.py).
    price_plans = providers.Singleton(TtlPricePlans, uow=uow.provider, max_age=PRICE_PLAN_MAX_AGE_SECONDS)
    quote_writer = providers.Singleton(SqlQuoteWriter, database=database)
    catalogue = providers.Selector(
        settings.provided.inventory_engine,
        memory=_uncached_catalogue,
        sql=providers.Singleton(
            SqlCatalogueCache,
            source=_uncached_catalogue,
            database=database,
            clock=clock,
            check_every=providers.Callable(timedelta, seconds=settings.provided.catalogue_check_seconds),
        ),
        redis=providers.Singleton(
            RedisCatalogueCache,
            source=_uncached_catalogue,
            redis=redis,
            clock=clock,
            max_age=providers.Callable(timedelta, seconds=settings.provided.catalogue_max_age_seconds),
        ),
    )
    # The public read API's answers (availability, the listing index), kept briefly per process.
    public_cache = providers.Singleton(
        ProcessPublicCache,
        clock=clock,
        max_age=providers.Callable(timedelta, seconds=settings.provided.public_cache_seconds),
    )
    inventory = providers.Selector(
        settings.provided.inventory_engine,
        memory=providers.Singleton(MemoryInventoryEngine),
        sql=providers.Singleton(SqlInventoryEngine, database=database, audit=True),
        redis=providers.Singleton(
            RedisLuaInventoryEngine,
            redis=redis,
            sold_out_latch=providers.Callable(timedelta, milliseconds=settings.provided.sold_out_latch_ms),
        ),
    )
    # Rate-limit buckets: in Redis whenever there is one (every API process counts in the same
    # buckets, whatever the engine), else in this process (the embedded default: one process).
    # While Redis is unreachable, the process's own buckets count (rate_limits/redis.py says why).
    _process_rate_limiter = providers.Singleton(InProcessRateLimiter, clock=clock)
    rate_limiter = providers.Selector(
        settings.provided.rate_limit_store,
        memory=_process_rate_limiter,
        redis=providers.Singleton(RedisLuaRateLimiter, redis=redis, clock=clock, fallback=_process_rate_limiter),
    )
    # With the Redis engine, idempotency records live in Redis too: placing a hold writes nothing
    # to Postgres. The other engines keep them in the system of record.
    idempotency_ttl = providers.Callable(timedelta, hours=settings.provided.idempotency_ttl_hours)
    # Either way, response bodies are sealed with the client's key (one-time secrets in them).
    _sql_idempotency = providers.Singleton(
        SealedIdempotencyStore, providers.Singleton(SqlIdempotencyStore, database=database)
    )
    idempotency = providers.Selector(
        settings.provided.inventory_engine,
        memory=_sql_idempotency,
        sql=_sql_idempotency,
        redis=providers.Singleton(
            SealedIdempotencyStore, providers.Singleton(RedisIdempotencyStore, redis=redis, ttl=idempotency_ttl)
        ),
    )
    payments = providers.Selector(
        settings.provided.payments,
        fake=providers.Singleton(
            FakePaymentGateway, database=database, clock=clock, webhook_secret=settings.provided.webhook_secret
        ),
        stripe=providers.Singleton(
            StripePaymentGateway, api_key=settings.provided.stripe_api_key, api_base=settings.provided.stripe_api_base
        ),
    )
    webhook_verifier = providers.Singleton(StripeWebhookVerifier, secret=settings.provided.webhook_secret, clock=clock)
    # Only with HOLDFAST_OTEL on (it imports OpenTelemetry); tests override it with an in-memory one.
    tracer_provider = providers.Singleton(tracing.tracer_provider, settings)
    # Tenants' outgoing webhooks: one pooled client per process, closed with the container.
    webhook_sender = providers.Singleton(
        HttpxWebhookSender,
        private_targets=settings.provided.allows_private_webhook_targets,
        plain_http=settings.provided.allows_plain_http_webhooks,
    )
    webhook_targets = webhook_sender.provided.targets  # registration checks as the sender does
    _email_from = settings.provided.email_from
    email = providers.Selector(
        settings.provided.email,
        file=providers.Singleton(FileEmailSender, folder=settings.provided.email_dir, sender=_email_from),
        smtp=providers.Singleton(SmtpEmailSender, url=settings.provided.smtp_url, sender=_email_from),
        log=providers.Singleton(LogEmailSender, sender=_email_from),
    )
    # Only the Redis engine journals its holds to Postgres; the SQL engine's are there already.
    hold_journal = providers.Selector(
        settings.provided.inventory_engine,
        memory=providers.Object(None),
        sql=providers.Object(None),
        redis=providers.Singleton(RedisHoldJournal, redis=redis),
    )
    # Where GET /v1/holds lists from: the engine's own holds, or (redis) the hold journal in
    # Postgres, one journaling round behind (application.ports.hold_list says why).
    hold_list = providers.Selector(
        settings.provided.inventory_engine,
        memory=inventory,
        sql=inventory,
        redis=providers.Singleton(SqlJournalHoldList, database=database),
    )
    # Where reconciliation finds the live holds: the journal, or the SQL engine's own tables.
    _journal_record = providers.Singleton(SqlJournalInventoryRecord, database=database)
    inventory_record = providers.Selector(
        settings.provided.inventory_engine,
        memory=_journal_record,
        sql=providers.Singleton(SqlEngineInventoryRecord, database=database),
        redis=_journal_record,
    )
    # The waiting room: in Redis with the redis engine (no Postgres on the hold path), else in
    # the system of record (so it outlives a restart of the embedded default too).
    _sql_waiting_room = providers.Singleton(SqlWaitingRoom, database=database)
    waiting_room = providers.Selector(
        settings.provided.inventory_engine,
        memory=_sql_waiting_room,
        sql=_sql_waiting_room,
        redis=providers.Singleton(RedisWaitingRoom, redis=redis),
    )
    queue_passes = providers.Singleton(HmacQueuePasses, secret=settings.provided.queue_pass_key)
    # Sign-in: argon2id hashes (tests override it with cheaper parameters), access tokens
    # verified on the CPU, and security events (a log line; the audit log may wrap this).
    password_hasher = providers.Singleton(Argon2PasswordHasher)
    access_tokens = providers.Singleton(
        PyJwtAccessTokens,
        keys=settings.provided.jwt_signing_keys,
        lifetime=providers.Callable(timedelta, minutes=settings.provided.access_token_minutes),
    )
    security_events = providers.Singleton(LoguruSecurityEvents)
    # Background jobs: both queues record dead letters in the system of record.
    dead_letters = providers.Singleton(SqlDeadLetterStore, database=database)
    job_policies = providers.Singleton(job_policies, settings=settings)
    job_rounds = providers.Singleton(SqlJobRoundStore, database=database)
    failed_rounds = providers.Singleton(
        FailedRounds, job_rounds, dead_letters, clock.provided.now, settings.provided.job_dead_after_rounds
    )
    jobs = providers.Selector(
        settings.provided.jobs,
        **{
            "in-process": providers.Singleton(
                InProcessJobQueue, job_policies, dead_letters, metrics, clock.provided.now, rounds=failed_rounds
            ),
            "saq": providers.Singleton(
                SaqJobQueue,
                settings.provided.redis_url,
                job_policies,
                dead_letters,
                metrics,
                clock.provided.now,
                rounds=failed_rounds,
            ),
        },
    )


class UseCases(containers.DeclarativeContainer):
    core = providers.DependenciesContainer()
    gateways = providers.DependenciesContainer()

    _uow = gateways.uow.provider
    _engine = gateways.inventory

    _catalogue = gateways.catalogue
    register_tenant = providers.Factory(RegisterTenantHandler, _uow, core.clock, core.ids, _catalogue)
    authenticate = providers.Factory(AuthenticateHandler, _catalogue, core.clock, gateways.access_tokens)
    # One per container: the edge asks it on every request (interfaces.http.rate_limits).
    check_rate_limit = providers.Singleton(
        CheckRateLimitHandler, gateways.rate_limiter, core.settings.provided.rate_rules
    )
    create_listing = providers.Factory(CreateListingHandler, _uow, core.clock, core.ids)
    get_listing = providers.Factory(GetListingHandler, _uow)
    list_listings = providers.Factory(ListListingsHandler, _uow)
    create_pool = providers.Factory(
        CreatePoolHandler, _uow, _engine, core.clock, core.ids, _catalogue, core.settings.provided.max_pools_per_listing
    )
    get_pool = providers.Factory(GetPoolHandler, _uow, _engine)
    resize_pool = providers.Factory(ResizePoolHandler, _uow, _engine, _catalogue)
    set_pool_overbooking = providers.Factory(SetPoolOverbookingHandler, _uow, _engine, _catalogue)
    get_availability = providers.Factory(GetAvailabilityHandler, _uow, _engine)
    _room = gateways.waiting_room
    queue_gate = providers.Singleton(QueueGate, gateways.queue_passes, _room)
    queue_status = providers.Singleton(QueueStatusReader, gateways.queue_passes)
    set_listing_queue = providers.Factory(SetListingQueueHandler, _uow, _catalogue)
    change_listing = providers.Factory(ChangeListingHandler, _uow, _catalogue)
    archive_listing = providers.Factory(ArchiveListingHandler, _uow, core.clock, _catalogue)
    change_pool = providers.Factory(ChangePoolHandler, _uow, _engine, core.clock, _catalogue)
    join_queue = providers.Factory(JoinQueueHandler, _catalogue, _room, queue_status, core.clock, core.ids)
    get_queue_ticket = providers.Factory(GetQueueTicketHandler, _catalogue, _room, queue_status, core.clock)
    leave_queue = providers.Factory(LeaveQueueHandler, _catalogue, _room)
    release_queues = providers.Factory(ReleaseQueuesHandler, _uow, _room, core.clock)
    place_hold = providers.Factory(
        PlaceHoldHandler, _catalogue, _engine, core.clock, core.ids, gateways.metrics, queue_gate
    )
    get_hold = providers.Factory(GetHoldHandler, _engine, _uow)
    # Flights' seat maps: a pool per seat and per cabin; seat holds go through place_hold.
    set_seat_map = providers.Factory(
        SetSeatMapHandler,
        _uow,
        _engine,
        core.clock,
        core.ids,
        _catalogue,
        max_pools=core.settings.provided.max_pools_per_listing,
    )
    get_seat_map = providers.Factory(GetSeatMapHandler, _uow, _engine)
    place_seat_hold = providers.Factory(PlaceSeatHoldHandler, _uow, place_hold)
    # Stays (application/use_cases/stays): room types and their rolling nights, rules, blocks.
    _horizon, _max_pools = core.settings.provided.stay_horizon_days, core.settings.provided.max_pools_per_listing
    create_room_type = providers.Factory(
        CreateRoomTypeHandler, _uow, _engine, core.clock, core.ids, _catalogue, _horizon, _max_pools
    )
    list_room_types = providers.Factory(ListRoomTypesHandler, _uow)
    extend_stay_horizon = providers.Factory(
        ExtendStayHorizonHandler, _uow, _engine, core.clock, core.ids, _catalogue, _horizon, _max_pools
    )
    set_stay_rules = providers.Factory(SetStayRulesHandler, _uow, core.clock)
    get_stay_rules = providers.Factory(GetStayRulesHandler, _uow)
    block_nights = providers.Factory(BlockNightsHandler, _uow, _engine, core.clock, core.ids, _catalogue)
    unblock_nights = providers.Factory(UnblockNightsHandler, _uow, _engine, _catalogue)
    list_blocks = providers.Factory(ListBlocksHandler, _uow)
    place_stay_hold = providers.Factory(PlaceStayHoldHandler, _uow, place_hold, core.clock)
    get_calendar = providers.Factory(GetCalendarHandler, _uow, _engine)
    list_holds = providers.Factory(ListHoldsHandler, gateways.hold_list)
    # The redis engine's hold events are audited from its journal (no Postgres on its hold path).
    _journaled = providers.Callable(operator.eq, core.settings.provided.inventory_engine, "redis")
    release_hold = providers.Factory(ReleaseHoldHandler, _engine, core.clock, _uow, journaled=_journaled)
    expire_holds = providers.Factory(ExpireHoldsHandler, _engine, core.clock, _uow, journaled=_journaled)
    check_inventory_state = providers.Factory(CheckInventoryStateHandler, _uow, _engine)
    _gateway = gateways.payments
    handle_payment_event = providers.Factory(HandlePaymentEventHandler, _uow, _engine, core.clock, _gateway)
    # Free bookings: with Redis, concurrent ones of a process share a transaction (one per
    # process, so it must be a singleton); the SQL engines confirm inside each booking's own.
    _single_free = providers.Factory(SingleFreeBookingWriter, _uow, _engine)
    free_bookings = providers.Selector(
        core.settings.provided.inventory_engine,
        memory=_single_free,
        sql=_single_free,
        redis=providers.Singleton(GroupedFreeBookingWriter, _uow, _engine),
    )
    create_booking = providers.Factory(CreateBookingHandler, _uow, _engine, core.clock, _gateway, free_bookings)
    refund_booking = providers.Factory(RefundBookingHandler, _uow, _gateway, core.clock, core.ids)
    retry_refunds = providers.Factory(
        RetryRequestedRefundsHandler,
        _uow,
        _gateway,
        core.clock,
        gateways.dead_letters,
        grace=providers.Callable(timedelta, seconds=core.settings.provided.refund_retry_after_seconds),
    )
    reconcile_payments = providers.Factory(PaymentsReconciler, _uow, _gateway, core.clock)
    journal_holds = providers.Factory(
        JournalHoldsHandler, _uow, gateways.hold_journal, core.clock, gateways.dead_letters
    )
    get_live_inventory = providers.Factory(GetLiveInventoryHandler, _uow, _engine, gateways.inventory_record)
    reconcile_inventory = providers.Factory(
        InventoryReconciler, _engine, gateways.inventory_record, journal_holds, core.clock
    )
    rebuild_lost_inventory = providers.Factory(RebuildLostInventoryHandler, check_inventory_state, reconcile_inventory)
    start_reconciliation = providers.Factory(StartReconciliationHandler, _uow, gateways.jobs, core.clock, core.ids)
    run_reconciliation = providers.Factory(
        RunReconciliationHandler, _uow, core.clock, reconcile_inventory, reconcile_payments, gateways.metrics
    )
    get_reconciliation = providers.Factory(GetReconciliationHandler, _uow)
    list_disputes = providers.Factory(ListDisputesHandler, _uow)
    list_audit_logs = providers.Factory(ListAuditLogsHandler, _uow)
    list_refunds = providers.Factory(ListRefundsHandler, _uow)
    expire_bookings = providers.Factory(
        ExpireBookingsHandler, _uow, _engine, core.clock, handle_payment_event, gateways.dead_letters
    )
    get_booking = providers.Factory(GetBookingHandler, _uow)
    list_bookings = providers.Factory(ListBookingsHandler, _uow)
    get_ledger_balances = providers.Factory(GetLedgerBalancesHandler, _uow)
    get_booking_ledger = providers.Factory(GetBookingLedgerHandler, _uow)
    cancel_booking = providers.Factory(
        CancelBookingHandler, _uow, _engine, core.clock, core.ids, _gateway, handle_payment_event
    )
    # Booking changes (issue 12): the steps are shared by the request, the job and the webhooks.
    booking_change_steps = providers.Factory(BookingChangeSteps, _uow, _engine, core.clock, _gateway)
    change_booking = providers.Factory(
        ChangeBookingHandler, _uow, _engine, _catalogue, core.clock, core.ids, _gateway, booking_change_steps
    )
    resume_booking_changes = providers.Factory(ResumeBookingChangesHandler, _uow, core.clock, booking_change_steps)
    list_booking_changes = providers.Factory(ListBookingChangesHandler, _uow)

    idempotency_policy = providers.Object(IdempotencyPolicy())  # tests override it for short waits
    idempotency_ttl = providers.Callable(timedelta, hours=core.settings.provided.idempotency_ttl_hours)
    run_idempotently = providers.Factory(RunIdempotentlyHandler, gateways.idempotency, core.clock, idempotency_policy)
    purge_old_records = providers.Factory(
        PurgeOldRecordsHandler,
        providers.Singleton(SqlRetentionStore, gateways.database),
        core.clock,
        providers.Callable(timedelta, days=core.settings.provided.retention_days),
    )
    maintain_audit_log = providers.Factory(
        MaintainAuditLogHandler,
        providers.Singleton(SqlAuditMaintenance, gateways.database),
        core.clock,
        providers.Callable(timedelta, days=core.settings.provided.audit_retention_days),
    )
    purge_idempotency_keys = providers.Factory(
        PurgeIdempotencyKeysHandler, gateways.idempotency, core.clock, idempotency_ttl
    )

    authorize_operator = providers.Factory(AuthorizeOperatorHandler, _uow, core.clock)
    issue_api_key = providers.Factory(IssueApiKeyHandler, _uow, core.clock, core.ids, _catalogue)
    revoke_api_key = providers.Factory(RevokeApiKeyHandler, _uow, core.clock, _catalogue)
    rotate_api_key = providers.Factory(RotateApiKeyHandler, _uow, core.clock, core.ids, _catalogue)
    # A tenant's own keys (/v1/api-keys).
    create_api_key = providers.Factory(CreateApiKeyHandler, _uow, core.clock, core.ids, _catalogue)
    list_api_keys = providers.Factory(ListApiKeysHandler, _uow, core.clock)
    get_api_key = providers.Factory(GetApiKeyHandler, _uow, core.clock)
    delete_api_key = providers.Factory(DeleteApiKeyHandler, _uow, core.clock, _catalogue)

    # Users and sign-in (application/use_cases/identity).
    _hasher, _events = gateways.password_hasher, gateways.security_events
    _sessions = providers.Factory(
        SessionIssuer,
        gateways.access_tokens,
        core.clock,
        core.ids,
        providers.Callable(timedelta, days=core.settings.provided.refresh_token_days),
    )
    register_customer = providers.Factory(RegisterCustomerHandler, _uow, _catalogue, _hasher, core.clock, core.ids)
    login = providers.Factory(LoginHandler, _uow, _hasher, _sessions, core.clock, _events)
    refresh_session = providers.Factory(RefreshSessionHandler, _uow, _sessions, core.clock, _events)
    logout = providers.Factory(LogoutHandler, _uow, core.clock)
    get_me = providers.Factory(GetMeHandler, _uow)
    update_me = providers.Factory(UpdateMeHandler, _uow, _hasher, core.clock)
    invite_staff = providers.Factory(InviteStaffHandler, _uow, core.clock, core.ids)
    accept_invitation = providers.Factory(AcceptInvitationHandler, _uow, _hasher, _sessions, core.clock)
    list_staff = providers.Factory(ListStaffHandler, _uow)
    disable_staff = providers.Factory(DisableStaffHandler, _uow, core.clock)
    # The console's people (interfaces/web): admins of the operators' tenant.
    create_user = providers.Factory(CreateUserHandler, _uow, invite_staff, accept_invitation)
    console_sign_in = providers.Factory(
        ConsoleSignInHandler, _uow, login, logout, core.settings.provided.console_tenant
    )

    # Webhooks. The handler acts on events; tests override it (and the jitter) with their own.
    webhook_event_handler = providers.Factory(
        ChangeAwarePaymentEvents, handle_payment_event, _uow, _gateway, booking_change_steps
    )
    webhook_retry_policy = providers.Factory(RetryPolicy, max_attempts=core.settings.provided.webhook_max_attempts)
    webhook_jitter = providers.Object(random.random)
    process_webhook_event = providers.Factory(
        ProcessWebhookEventHandler,
        webhook_event_handler,
        _uow,
        core.clock,
        webhook_retry_policy,
        webhook_jitter,
        gateways.metrics,
    )
    receive_webhook = providers.Factory(ReceiveWebhookHandler, gateways.webhook_verifier, _uow, core.clock, core.ids)
    _process = process_webhook_event
    retry_webhook_events = providers.Factory(RetryWebhookEventsHandler, _uow, core.clock, core.ids, _process)
    replay_webhook_event = providers.Factory(ReplayWebhookEventHandler, _uow, core.clock, core.ids, _process)
    list_webhook_events = providers.Factory(ListWebhookEventsHandler, _uow)
    get_webhook_backlog = providers.Factory(GetWebhookBacklogHandler, _uow, core.clock)

    # The outbox's fan-out: the relay, tenants' webhook endpoints and deliveries, and emails.
    # Tests override the policies and the jitter with their own.
    relay_outbox = providers.Factory(RelayOutboxHandler, _uow, core.clock, core.ids, gateways.dead_letters)
    event_types = providers.Singleton(known_event_types)
    create_webhook_endpoint = providers.Factory(
        CreateWebhookEndpointHandler,
        _uow,
        core.clock,
        core.ids,
        event_types,
        gateways.webhook_targets,
        core.settings.provided.max_webhook_endpoints,
    )
    get_webhook_endpoint = providers.Factory(GetWebhookEndpointHandler, _uow)
    list_webhook_endpoints = providers.Factory(ListWebhookEndpointsHandler, _uow)
    delete_webhook_endpoint = providers.Factory(DeleteWebhookEndpointHandler, _uow)
    enable_webhook_endpoint = providers.Factory(EnableWebhookEndpointHandler, _uow, core.clock)
    list_webhook_deliveries = providers.Factory(ListWebhookDeliveriesHandler, _uow)
    delivery_policy = providers.Object(DeliveryPolicy())
    fanout_jitter = providers.Object(random.random)
    _sender = gateways.webhook_sender
    deliver_webhooks = providers.Factory(
        DeliverWebhooksHandler, _uow, core.clock, core.ids, _sender, delivery_policy, fanout_jitter
    )
    notification_policy = providers.Object(RetryPolicy(max_attempts=8, base_seconds=60.0, cap_seconds=3600.0))
    send_notifications = providers.Factory(
        SendNotificationsHandler,
        _uow,
        core.clock,
        core.ids,
        gateways.email,
        notification_policy,
        fanout_jitter,
        gateways.dead_letters,
    )

    # Background jobs, for operators.
    get_jobs_status = providers.Factory(GetJobsStatusHandler, gateways.jobs, gateways.dead_letters, gateways.job_rounds)
    list_dead_letters = providers.Factory(ListDeadLettersHandler, gateways.dead_letters)
    replay_dead_letter = providers.Factory(
        ReplayDeadLetterHandler, gateways.jobs, gateways.dead_letters, core.clock, _uow
    )
    _periodic = providers.Callable(periodic_jobs, core.settings)
    run_job_now = providers.Factory(RunJobNowHandler, gateways.jobs, _periodic, _uow)

    # Public and owner reads, listing ownership, sales reports.
    public_catalogue = providers.Factory(
        PublicCatalogueHandler, _uow, gateways.catalogue, gateways.inventory, gateways.public_cache
    )
    add_listing_owner = providers.Factory(AddListingOwnerHandler, _uow, core.clock)
    remove_listing_owner = providers.Factory(RemoveListingOwnerHandler, _uow)
    list_listing_owners = providers.Factory(ListListingOwnersHandler, _uow)
    owner_listings = providers.Factory(OwnerListingsHandler, _uow)
    owner_bookings = providers.Factory(OwnerBookingsHandler, _uow)
    owner_revenue = providers.Factory(OwnerRevenueHandler, _uow, core.clock)
    sales_report = providers.Factory(SalesReportHandler, _uow)
    # Prices and quotes.
    _plans = gateways.price_plans
    set_pricing = providers.Factory(SetPricingHandler, _uow, core.clock, _plans)
    get_pricing = providers.Factory(GetPricingHandler, _uow)
    _quote_ttl = core.settings.provided.quote_ttl_seconds
    create_quote = providers.Factory(
        CreateQuoteHandler, _plans, gateways.quote_writer, _catalogue, core.clock, core.ids, _quote_ttl
    )
    get_quote = providers.Factory(GetQuoteHandler, _uow)
    hold_quote = providers.Factory(HoldQuoteHandler, _uow, core.clock, place_hold)


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    core = providers.Container(Core, settings=settings)
    gateways = providers.Container(Gateways, settings=settings, clock=core.clock)
    use_cases = providers.Container(UseCases, core=core, gateways=gateways)


def build_container(settings: Settings) -> Container:
    return Container(settings=providers.Object(settings))


async def close_container(container: Container) -> None:
    """Release pooled connections (creating a gateway here is cheap: neither connects eagerly)."""
    if container.settings().inventory_engine == "redis":
        await container.gateways.catalogue().aclose()  # its listener first: it uses the client
        await container.gateways.inventory().aclose()  # and the sold-out latch's
    client = container.gateways.redis()
    if client is not None:
        await client.aclose()
    if container.settings().jobs == "saq":
        await container.gateways.jobs().aclose()
    if container.settings().inventory_engine == "sql":
        await container.gateways.inventory().aclose()  # its one-statement calls' own connections
    await container.gateways.quote_writer().aclose()  # its autocommit pool, if it made one
    await container.gateways.database().dispose()
    await container.gateways.payments().aclose()
    await container.gateways.webhook_sender().aclose()
    if container.settings().otel != "off":
        container.gateways.tracer_provider().shutdown()  # flushes the spans still batched
