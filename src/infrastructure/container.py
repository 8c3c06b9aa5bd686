"""The composition root: the only place that names concrete adapters.

Containers are split by role (core, gateways, use cases) and composed by ``Container``.
Tests override providers (``container.gateways.inventory.override(...)``) instead of patching.
"""

from __future__ import annotations

from dependency_injector import containers, providers
from redis.asyncio import BlockingConnectionPool, Redis

from application.use_cases.authenticate import AuthenticateHandler
from application.use_cases.cancel_booking import CancelBookingHandler
from application.use_cases.create_booking import CreateBookingHandler
from application.use_cases.create_listing import CreateListingHandler
from application.use_cases.create_pool import CreatePoolHandler
from application.use_cases.expire_holds import ExpireHoldsHandler
from application.use_cases.get_availability import GetAvailabilityHandler
from application.use_cases.get_booking import GetBookingHandler
from application.use_cases.get_hold import GetHoldHandler
from application.use_cases.get_listing import GetListingHandler
from application.use_cases.get_pool import GetPoolHandler
from application.use_cases.list_bookings import ListBookingsHandler
from application.use_cases.list_listings import ListListingsHandler
from application.use_cases.place_hold import PlaceHoldHandler
from application.use_cases.register_tenant import RegisterTenantHandler
from application.use_cases.release_hold import ReleaseHoldHandler
from application.use_cases.resize_pool import ResizePoolHandler
from infrastructure.clock import RandomIds, SystemClock
from infrastructure.inventory.memory import MemoryInventoryEngine
from infrastructure.inventory.redis_lua import RedisLuaInventoryEngine
from infrastructure.inventory.sql import SqlInventoryEngine
from infrastructure.persistence.database import Database
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


class Gateways(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    database = providers.Singleton(
        Database, url=settings.provided.database_url, pool_size=settings.provided.db_pool_size
    )
    redis = providers.Singleton(_redis_client, url=settings.provided.redis_url)
    uow = providers.Factory(SqlUnitOfWork, database=database)
    inventory = providers.Selector(
        settings.provided.inventory_engine,
        memory=providers.Singleton(MemoryInventoryEngine),
        sql=providers.Singleton(SqlInventoryEngine, database=database),
        redis=providers.Singleton(RedisLuaInventoryEngine, redis=redis),
    )


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
    place_hold = providers.Factory(PlaceHoldHandler, _uow, _engine, core.clock, core.ids)
    get_hold = providers.Factory(GetHoldHandler, _engine)
    release_hold = providers.Factory(ReleaseHoldHandler, _engine, core.clock)
    expire_holds = providers.Factory(ExpireHoldsHandler, _engine, core.clock)
    create_booking = providers.Factory(CreateBookingHandler, _uow, _engine, core.clock, core.ids)
    get_booking = providers.Factory(GetBookingHandler, _uow)
    list_bookings = providers.Factory(ListBookingsHandler, _uow)
    cancel_booking = providers.Factory(CancelBookingHandler, _uow, _engine, core.clock)


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    core = providers.Container(Core, settings=settings)
    gateways = providers.Container(Gateways, settings=settings)
    use_cases = providers.Container(UseCases, core=core, gateways=gateways)


def build_container(settings: Settings) -> Container:
    return Container(settings=providers.Object(settings))


async def close_container(container: Container) -> None:
    """Release pooled connections (creating a gateway here is cheap: neither connects eagerly)."""
    client = container.gateways.redis()
    if client is not None:
        await client.aclose()
    await container.gateways.database().dispose()
