"""The composition root: the only place that names concrete adapters.

Containers are split by role (core, gateways, use cases) and composed by ``Container``.
Tests override providers (``container.gateways.inventory.override(...)``) instead of patching.
"""

from __future__ import annotations

import random
from datetime import timedelta

from dependency_injector import containers, providers
from redis.asyncio import BlockingConnectionPool, Redis

from application.use_cases.authenticate import AuthenticateHandler
from application.use_cases.authorize_operator import AuthorizeOperatorHandler
from application.use_cases.cancel_booking import CancelBookingHandler
from application.use_cases.create_booking import CreateBookingHandler
from application.use_cases.create_listing import CreateListingHandler
from application.use_cases.create_pool import CreatePoolHandler
from application.use_cases.expire_bookings import ExpireBookingsHandler
from application.use_cases.expire_holds import ExpireHoldsHandler
from application.use_cases.get_availability import GetAvailabilityHandler
from application.use_cases.get_booking import GetBookingHandler
from application.use_cases.get_booking_ledger import GetBookingLedgerHandler
from application.use_cases.get_hold import GetHoldHandler
from application.use_cases.get_ledger_balances import GetLedgerBalancesHandler
from application.use_cases.get_listing import GetListingHandler
from application.use_cases.get_pool import GetPoolHandler
from application.use_cases.handle_payment_event import HandlePaymentEventHandler
from application.use_cases.issue_api_key import IssueApiKeyHandler
from application.use_cases.list_bookings import ListBookingsHandler
from application.use_cases.list_disputes import ListDisputesHandler
from application.use_cases.list_listings import ListListingsHandler
from application.use_cases.list_webhook_events import ListWebhookEventsHandler
from application.use_cases.place_hold import PlaceHoldHandler
from application.use_cases.process_webhook_event import ProcessWebhookEventHandler
from application.use_cases.purge_idempotency_keys import PurgeIdempotencyKeysHandler
from application.use_cases.receive_webhook import ReceiveWebhookHandler
from application.use_cases.refund_booking import RefundBookingHandler
from application.use_cases.register_tenant import RegisterTenantHandler
from application.use_cases.release_hold import ReleaseHoldHandler
from application.use_cases.replay_webhook_event import ReplayWebhookEventHandler
from application.use_cases.resize_pool import ResizePoolHandler
from application.use_cases.retry_webhook_events import RetryWebhookEventsHandler
from application.use_cases.run_idempotently import IdempotencyPolicy, RunIdempotentlyHandler
from domain.webhooks import RetryPolicy
from infrastructure.clock import RandomIds, SystemClock
from infrastructure.diagnostics import read_build_info
from infrastructure.idempotency_redis import RedisIdempotencyStore
from infrastructure.inventory.memory import MemoryInventoryEngine
from infrastructure.inventory.redis_lua import RedisLuaInventoryEngine
from infrastructure.inventory.sql import SqlInventoryEngine
from infrastructure.metrics import PrometheusMetrics
from infrastructure.payments.fake import FakePaymentGateway
from infrastructure.payments.stripe_gateway import StripePaymentGateway
from infrastructure.payments.stripe_webhooks import StripeWebhookVerifier
from infrastructure.persistence.database import Database
from infrastructure.persistence.idempotency import SqlIdempotencyStore
from infrastructure.persistence.unit_of_work import SqlUnitOfWork
from infrastructure.settings import Settings


def _redis_client(url: str | None) -> Redis | None:
    """A client whose pool waits for a free connection under a rush instead of failing at once."""
    if url is None:
        return None
    return Redis(connection_pool=BlockingConnectionPool.from_url(url, max_connections=128, timeout=5))


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
    uow = providers.Factory(SqlUnitOfWork, database=database, metrics=metrics)
    inventory = providers.Selector(
        settings.provided.inventory_engine,
        memory=providers.Singleton(MemoryInventoryEngine),
        sql=providers.Singleton(SqlInventoryEngine, database=database),
        redis=providers.Singleton(RedisLuaInventoryEngine, redis=redis),
    )
    # With the Redis engine, idempotency records live in Redis too: placing a hold writes nothing
    # to Postgres. The other engines keep them in the system of record.
    idempotency_ttl = providers.Callable(timedelta, hours=settings.provided.idempotency_ttl_hours)
    _sql_idempotency = providers.Singleton(SqlIdempotencyStore, database=database)
    idempotency = providers.Selector(
        settings.provided.inventory_engine,
        memory=_sql_idempotency,
        sql=_sql_idempotency,
        redis=providers.Singleton(RedisIdempotencyStore, redis=redis, ttl=idempotency_ttl),
    )
    payments = providers.Selector(
        settings.provided.payments,
        fake=providers.Singleton(FakePaymentGateway, clock=clock, webhook_secret=settings.provided.webhook_secret),
        stripe=providers.Singleton(
            StripePaymentGateway, api_key=settings.provided.stripe_api_key, api_base=settings.provided.stripe_api_base
        ),
    )
    webhook_verifier = providers.Singleton(StripeWebhookVerifier, secret=settings.provided.webhook_secret, clock=clock)


class UseCases(containers.DeclarativeContainer):
    core = providers.DependenciesContainer()
    gateways = providers.DependenciesContainer()

    _uow = gateways.uow.provider
    _engine = gateways.inventory

    register_tenant = providers.Factory(RegisterTenantHandler, _uow, core.clock, core.ids)
    authenticate = providers.Factory(AuthenticateHandler, _uow)
    create_listing = providers.Factory(CreateListingHandler, _uow, core.clock, core.ids)
    get_listing = providers.Factory(GetListingHandler, _uow)
    list_listings = providers.Factory(ListListingsHandler, _uow)
    create_pool = providers.Factory(CreatePoolHandler, _uow, _engine, core.clock, core.ids)
    get_pool = providers.Factory(GetPoolHandler, _uow, _engine)
    resize_pool = providers.Factory(ResizePoolHandler, _uow, _engine)
    get_availability = providers.Factory(GetAvailabilityHandler, _uow, _engine)
    place_hold = providers.Factory(PlaceHoldHandler, _uow, _engine, core.clock, core.ids, gateways.metrics)
    get_hold = providers.Factory(GetHoldHandler, _engine)
    release_hold = providers.Factory(ReleaseHoldHandler, _engine, core.clock)
    expire_holds = providers.Factory(ExpireHoldsHandler, _engine, core.clock)
    _gateway = gateways.payments
    handle_payment_event = providers.Factory(HandlePaymentEventHandler, _uow, _engine, core.clock, _gateway)
    create_booking = providers.Factory(CreateBookingHandler, _uow, _engine, core.clock, _gateway)
    refund_booking = providers.Factory(RefundBookingHandler, _uow, _gateway, core.clock, core.ids)
    list_disputes = providers.Factory(ListDisputesHandler, _uow)
    expire_bookings = providers.Factory(ExpireBookingsHandler, _uow, _engine, core.clock, handle_payment_event)
    get_booking = providers.Factory(GetBookingHandler, _uow)
    list_bookings = providers.Factory(ListBookingsHandler, _uow)
    get_ledger_balances = providers.Factory(GetLedgerBalancesHandler, _uow)
    get_booking_ledger = providers.Factory(GetBookingLedgerHandler, _uow)
    cancel_booking = providers.Factory(
        CancelBookingHandler, _uow, _engine, core.clock, core.ids, _gateway, handle_payment_event
    )

    idempotency_policy = providers.Object(IdempotencyPolicy())  # tests override it for short waits
    idempotency_ttl = providers.Callable(timedelta, hours=core.settings.provided.idempotency_ttl_hours)
    run_idempotently = providers.Factory(RunIdempotentlyHandler, gateways.idempotency, core.clock, idempotency_policy)
    purge_idempotency_keys = providers.Factory(
        PurgeIdempotencyKeysHandler, gateways.idempotency, core.clock, idempotency_ttl
    )

    authorize_operator = providers.Factory(AuthorizeOperatorHandler, _uow)
    issue_api_key = providers.Factory(IssueApiKeyHandler, _uow, core.clock, core.ids)

    # Webhooks. The handler acts on events; tests override it (and the jitter) with their own.
    webhook_event_handler = handle_payment_event
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


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    core = providers.Container(Core, settings=settings)
    gateways = providers.Container(Gateways, settings=settings, clock=core.clock)
    use_cases = providers.Container(UseCases, core=core, gateways=gateways)


def build_container(settings: Settings) -> Container:
    return Container(settings=providers.Object(settings))


async def close_container(container: Container) -> None:
    """Release pooled connections (creating a gateway here is cheap: neither connects eagerly)."""
    client = container.gateways.redis()
    if client is not None:
        await client.aclose()
    await container.gateways.database().dispose()
    await container.gateways.payments().aclose()
