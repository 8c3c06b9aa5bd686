"""Settings from ``HOLDFAST_*`` environment variables, checked once at start-up.

A bad value stops the service with a message that names the variable.
"""

from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Literal
from urllib.parse import urlsplit

from application.ports.rate_limits import RateRule
from domain.stays import MAX_HORIZON_DAYS
from infrastructure.log_masking import mask_url

ENGINES = ("memory", "sql", "redis")
ENVIRONMENTS = ("development", "production")
PAYMENTS = ("fake", "stripe")
JOB_QUEUES = ("in-process", "saq")
# What the fake gateway signs its webhooks with in development when no secret is set: public,
# so never used outside development (see Settings.webhook_secret).
DEV_WEBHOOK_SECRET = "whsec_holdfast_development_only"
# Outside development, a Settings built in code without a secret (tests, embedding) gets one
# of this process's own: nobody else can sign with it. from_env asks for a real one instead.
_PROCESS_WEBHOOK_SECRET = "whsec_" + secrets.token_urlsafe(32)
# The same rule for the key queue passes are signed with (Settings.queue_pass_key).
DEV_QUEUE_PASS_SECRET = "holdfast-queue-pass-development-only"
_PROCESS_QUEUE_PASS_SECRET = secrets.token_urlsafe(32)
MIN_QUEUE_PASS_SECRET = 32
# Access tokens' signing keys when HOLDFAST_JWT_KEYS is unset: in development one derived from
# the database URL (every process of a development deployment agrees; development only), built
# in code elsewhere one of this process's own. from_env asks production for real ones.
_PROCESS_JWT_SECRET = secrets.token_urlsafe(32)
MIN_JWT_SECRET = 32
_KID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
FLAGS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
OTEL_MODES = ("off", "console", "otlp")
LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "SUCCESS", "WARNING", "ERROR", "CRITICAL")
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/holdfast.db"
EMAIL_SENDERS = ("file", "smtp", "log")
DEFAULT_EMAIL_FROM = "Holdfast <no-reply@localhost>"
# A route class's token bucket: "<n>/<s|m|h>" (n tokens a second, minute or hour), optionally
# "burst <b>" (the bucket's capacity; else n), or "off". README "Rate limits".
_RATE_SPEC = re.compile(r"(\d+)\s*/\s*(s|m|h)(?:\s+burst\s+(\d+))?", re.IGNORECASE)
_RATE_UNITS = {"s": 1, "m": 60, "h": 3600}


MAX_WORKERS = 64


def default_workers() -> int:
    """One serving process per core (the cores this process may run on), within 1..MAX_WORKERS."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    # `holdfast serve` processes on the one port; each builds its own app and connections.
    # from_env defaults it to the number of cores (1 on SQLite or the memory engine).
    workers: int = 1
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    inventory_engine: Literal["memory", "sql", "redis"] = "sql"
    environment: Literal["development", "production"] = "development"
    log_level: str = "INFO"
    db_pool_size: int = 20
    expiry_sweep_seconds: float = 5.0
    payments: Literal["fake", "stripe"] = "fake"
    stripe_api_key: str | None = None
    stripe_api_base: str | None = None  # another Stripe-compatible API (tests), else api.stripe.com
    stripe_webhook_secret: str | None = None
    webhook_retry_seconds: float = 10.0  # 0: no in-process retry loop (the jobs run it)
    webhook_max_attempts: int = 8
    idempotency_ttl_hours: int = 24
    email: Literal["file", "smtp", "log"] = "file"  # file: JSON lines under email_dir, nothing sent
    email_dir: str = "var/mail"
    smtp_url: str | None = None  # smtp://user:password@host:587?starttls=true, or smtps://...
    email_from: str = DEFAULT_EMAIL_FROM
    jobs: Literal["in-process", "saq"] = "in-process"  # saq: `holdfast worker` runs them, on Redis
    worker_concurrency: int = 10
    # Production refuses the fake gateway (anyone could "pay" through it) unless this says the
    # operator knows: a load test, a staging copy with no real money.
    allow_unsafe_fake_payments: bool = False
    # Whether tenants' webhooks may go to loopback, private or link-local addresses (SSRF guard):
    # from_env allows them in development (a receiver on this machine); built in code, and in
    # production unless set, they are refused.
    webhook_private_targets: Literal["allow", "deny"] = "deny"
    # Whether tenants' webhook URLs may be plain http:// (signed, but readable on the way):
    # from_env allows them in development only; built in code, https:// only.
    webhook_plain_http: Literal["allow", "deny"] = "deny"
    max_pools_per_listing: int = 2000  # a 500-seat flight, a year of nights of 5 room types
    # Nights on sale ahead for each room type of a stay property: made with the room type, kept
    # rolling by the daily extend_stay_horizon job (README "Stays: room types, nights and rules").
    stay_horizon_days: int = 365
    max_webhook_endpoints: int = 16  # per tenant, as Stripe allows per account
    # How long finished records are kept (delivered webhooks, handled Stripe events, sent emails,
    # relayed outbox events, journaled holds, the fake gateway's taken webhooks), then purged.
    retention_days: int = 30
    # The audit log's rows, then dropped (Postgres: by whole months; see maintain_audit_log).
    audit_retention_days: int = 400
    relay_seconds: float = 2.0  # how often the outbox relay runs (0: off)
    delivery_seconds: float = 5.0  # how often due webhook deliveries are sent (0: off)
    notification_seconds: float = 15.0  # how often due emails are sent (0: off)
    refund_retry_seconds: float = 300.0  # how often refunds left `requested` are asked for again (0: off)
    refund_retry_after_seconds: float = 300.0  # how long a refund stays `requested` before it is asked again
    worker_metrics_port: int = 0  # 0: the worker serves no /metrics
    job_dead_after_rounds: int = 5  # a periodic job failing this many rounds in a row leaves a dead letter
    startup_wait_seconds: float = 30.0  # how long serve/worker wait for Postgres and Redis, then exit
    otel: Literal["off", "console", "otlp"] = "off"  # OpenTelemetry tracing (the `otel` extra)
    otel_endpoint: str | None = None  # the collector's OTLP/HTTP traces URL, for otel=otlp
    # The redis engine's per-process catalogue cache: no entry is used longer than this after a
    # change a lost pub/sub message did not announce (infrastructure/catalogue/redis_cache.py).
    catalogue_max_age_seconds: float = 5.0
    # The sql engine's per-process catalogue cache: how often each process reads the catalogue
    # version; a change another process commits is used within this (catalogue/sql_cache.py).
    catalogue_check_seconds: float = 1.0
    # The redis engine's sold-out latch: the longest a process refuses holds on a pool from a
    # refusal it remembers, should no pub/sub message tell it units came back (0: off;
    # inventory/redis_sold_out.py).
    sold_out_latch_ms: int = 250
    # The waiting room: the key its passes are signed with (every API process of a deployment
    # must share it), and how often the release job looks for a batch due (each listing admits
    # at most one batch per its own period, however often this runs; 0: off).
    queue_pass_secret: str | None = None
    queue_release_seconds: float = 1.0
    # Token buckets per route class, for each identity and each client address (README "Rate
    # limits"): generous, so that normal use never meets them; rate_limits=False turns all off.
    rate_limits: bool = True
    rate_limit_auth: str = "10/s burst 100"
    rate_limit_holds: str = "1000/s burst 5000"
    rate_limit_writes: str = "200/s burst 2000"
    rate_limit_reads: str = "1000/s burst 5000"
    rate_limit_queue: str = "200/s burst 2000"
    # The public read API (/v1/public/..., no key): per client address alone, tighter than reads.
    rate_limit_public: str = "50/s burst 500"
    # The proxies (addresses or networks) whose X-Forwarded-For names the client; none: the
    # connection's own address is the client's.
    trusted_proxies: tuple[str, ...] = ()
    # Access tokens' signing keys, "kid:secret,kid2:secret2": the first signs, all verify
    # (infrastructure/identity/jwt_tokens.py); production requires them (see jwt_signing_keys).
    jwt_keys: str | None = None
    access_token_minutes: int = 15
    refresh_token_days: int = 7
    # The public read API's own per-process cache (availability, the listing index): how old an
    # answer may be, and its responses' Cache-Control max-age (catalogue/public_cache.py).
    public_cache_seconds: float = 2.0
    # How long a quote's price is promised (POST /v1/quotes): a hold from it ends by then too.
    quote_ttl_seconds: int = 900
    # The pages (interfaces/web): who may frame them (CSP frame-ancestors; X-Frame-Options
    # follows it), e.g. "'none'" (default), "'self'" or "'self' https://shop.example".
    frame_ancestors: str = "'none'"
    console_tenant: str = "operator"  # the operators' tenant: its admins sign in to /console

    @property
    def uses_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def single_process_reason(self) -> str | None:
        """Why ``holdfast serve`` must stay one process here, or None when workers may share the load.

        The memory engine's stock lives in its process: two workers would each sell it all. SQLite
        has one writer, ordered by a lock inside the process (see persistence/database.py), so
        writers in other processes would fail with "database is locked" instead of queueing.
        """
        if self.inventory_engine == "memory":
            return "HOLDFAST_INVENTORY_ENGINE=memory (each process would have its own stock)"
        if self.uses_sqlite:
            return "SQLite (one writer, ordered inside one process): use Postgres for more"
        return None

    @property
    def rate_rules(self) -> dict[str, RateRule | None]:
        """Each route class's bucket (None: not limited)."""
        specs = {
            "auth": self.rate_limit_auth,
            "holds": self.rate_limit_holds,
            "writes": self.rate_limit_writes,
            "reads": self.rate_limit_reads,
            "queue": self.rate_limit_queue,
            "public": self.rate_limit_public,
        }
        return {name: parse_rate(name, spec) if self.rate_limits else None for name, spec in specs.items()}

    @property
    def rate_limit_store(self) -> Literal["redis", "memory"]:
        """Where buckets live: Redis when there is one (every process counts in the same buckets),
        else this process (the embedded default is one process)."""
        return "memory" if self.redis_url is None else "redis"

    @property
    def allows_private_webhook_targets(self) -> bool:
        return self.webhook_private_targets == "allow"

    @property
    def serves_dev_routes(self) -> bool:
        """/v1/dev plays the customer paying: in development with the fake gateway, never in
        production (even with fake payments allowed there)."""
        return self.payments == "fake" and self.environment == "development"

    @property
    def allows_plain_http_webhooks(self) -> bool:
        return self.webhook_plain_http == "allow"

    @property
    def webhook_secret(self) -> str:
        """Stripe's signing secret. With fake payments and none set: the public development one in
        development only; elsewhere this process's own random one (from_env requires a real one
        there, since several processes must agree on it)."""
        if self.stripe_webhook_secret:
            return self.stripe_webhook_secret
        return DEV_WEBHOOK_SECRET if self.environment == "development" else _PROCESS_WEBHOOK_SECRET

    @property
    def queue_pass_key(self) -> str:
        """The queue pass signing key: the one set; in development without one, a public one;
        elsewhere this process's own random one (from_env requires a real one there, since
        every API process must verify the passes any of them signed)."""
        if self.queue_pass_secret:
            return self.queue_pass_secret
        return DEV_QUEUE_PASS_SECRET if self.environment == "development" else _PROCESS_QUEUE_PASS_SECRET

    @property
    def jwt_signing_keys(self) -> tuple[tuple[str, str], ...]:
        """(kid, secret) pairs, the signing one first. Unset: in development a key derived from
        the database URL, so a development deployment's processes agree (anyone who knows the
        URL could forge tokens: development only); elsewhere, built in code, this process's own
        random one (from_env requires real ones there, since every process must share them)."""
        if self.jwt_keys:
            return parse_jwt_keys(self.jwt_keys)
        if self.environment == "development":
            derived = hashlib.sha256(f"holdfast development jwt:{self.database_url}".encode()).hexdigest()
            return (("dev", derived),)
        return (("process", _PROCESS_JWT_SECRET),)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = _Reader(os.environ if environ is None else environ)
        defaults = cls()
        # Tenants' webhooks to our own network, or unencrypted: a development receiver is local
        # and plain http; production's are neither.
        development = (env.optional("ENV") or "development").lower() == "development"
        webhook_default = "allow" if development else "deny"
        settings = cls(
            host=env.text("HOST", defaults.host),
            port=env.integer("PORT", defaults.port, 1, 65535),
            workers=env.integer("WORKERS", default_workers(), 1, MAX_WORKERS),
            database_url=_database_url(env.text("DATABASE_URL", defaults.database_url)),
            redis_url=_redis_url(env.optional("REDIS_URL")),
            inventory_engine=env.choice("INVENTORY_ENGINE", "sql", ENGINES),  # type: ignore[arg-type]
            environment=env.choice("ENV", "development", ENVIRONMENTS),  # type: ignore[arg-type]
            log_level=env.choice("LOG_LEVEL", "INFO", LOG_LEVELS, upper=True),
            db_pool_size=env.integer("DB_POOL_SIZE", defaults.db_pool_size, 1, 500),
            expiry_sweep_seconds=env.number("EXPIRY_SWEEP_SECONDS", defaults.expiry_sweep_seconds, 0, 3600),
            payments=env.choice("PAYMENTS", "fake", PAYMENTS),  # type: ignore[arg-type]
            stripe_api_key=_prefixed("STRIPE_API_KEY", env.optional("STRIPE_API_KEY"), ("sk_", "rk_")),
            stripe_api_base=_http_url("STRIPE_API_BASE", env.optional("STRIPE_API_BASE")),
            stripe_webhook_secret=_prefixed(
                "STRIPE_WEBHOOK_SECRET", env.optional("STRIPE_WEBHOOK_SECRET"), ("whsec_",)
            ),
            webhook_retry_seconds=env.number("WEBHOOK_RETRY_SECONDS", defaults.webhook_retry_seconds, 0, 3600),
            webhook_max_attempts=env.integer("WEBHOOK_MAX_ATTEMPTS", defaults.webhook_max_attempts, 1, 100),
            # Clients are promised at least a day to retry with the same Idempotency-Key.
            idempotency_ttl_hours=env.integer("IDEMPOTENCY_TTL_HOURS", defaults.idempotency_ttl_hours, 24, 24 * 30),
            email=env.choice("EMAIL", defaults.email, EMAIL_SENDERS),  # type: ignore[arg-type]
            email_dir=env.text("EMAIL_DIR", defaults.email_dir),
            smtp_url=_smtp_url(env.optional("SMTP_URL")),
            email_from=_email_from(env.text("EMAIL_FROM", defaults.email_from)),
            jobs=env.choice("JOBS", defaults.jobs, JOB_QUEUES),  # type: ignore[arg-type]
            allow_unsafe_fake_payments=env.flag("ALLOW_UNSAFE_FAKE_PAYMENTS", defaults.allow_unsafe_fake_payments),
            webhook_private_targets=env.choice("WEBHOOK_PRIVATE_TARGETS", webhook_default, ("allow", "deny")),  # type: ignore[arg-type]
            webhook_plain_http=env.choice("WEBHOOK_PLAIN_HTTP", webhook_default, ("allow", "deny")),  # type: ignore[arg-type]
            max_pools_per_listing=env.integer("MAX_POOLS_PER_LISTING", defaults.max_pools_per_listing, 1, 100_000),
            stay_horizon_days=env.integer("STAY_HORIZON_DAYS", defaults.stay_horizon_days, 1, MAX_HORIZON_DAYS),
            max_webhook_endpoints=env.integer("MAX_WEBHOOK_ENDPOINTS", defaults.max_webhook_endpoints, 1, 1000),
            # A week at least: Stripe retries a webhook for three days (see purge_old_records).
            retention_days=env.integer("RETENTION_DAYS", defaults.retention_days, 7, 3650),
            audit_retention_days=env.integer("AUDIT_RETENTION_DAYS", defaults.audit_retention_days, 31, 3650),
            relay_seconds=env.number("RELAY_SECONDS", defaults.relay_seconds, 0, 3600),
            delivery_seconds=env.number("DELIVERY_SECONDS", defaults.delivery_seconds, 0, 3600),
            notification_seconds=env.number("NOTIFICATION_SECONDS", defaults.notification_seconds, 0, 3600),
            refund_retry_seconds=env.number("REFUND_RETRY_SECONDS", defaults.refund_retry_seconds, 0, 86400),
            refund_retry_after_seconds=env.number(
                "REFUND_RETRY_AFTER_SECONDS", defaults.refund_retry_after_seconds, 1, 86400
            ),
            worker_concurrency=env.integer("WORKER_CONCURRENCY", defaults.worker_concurrency, 1, 500),
            worker_metrics_port=env.integer("WORKER_METRICS_PORT", defaults.worker_metrics_port, 0, 65535),
            job_dead_after_rounds=env.integer("JOB_DEAD_AFTER_ROUNDS", defaults.job_dead_after_rounds, 1, 1000),
            startup_wait_seconds=env.number("STARTUP_WAIT_SECONDS", defaults.startup_wait_seconds, 0, 3600),
            otel=env.choice("OTEL", defaults.otel, OTEL_MODES),  # type: ignore[arg-type]
            otel_endpoint=_http_url("OTEL_ENDPOINT", env.optional("OTEL_ENDPOINT")),
            catalogue_max_age_seconds=env.number(
                "CATALOGUE_MAX_AGE_SECONDS", defaults.catalogue_max_age_seconds, 0, 3600
            ),
            catalogue_check_seconds=env.number("CATALOGUE_CHECK_SECONDS", defaults.catalogue_check_seconds, 0, 3600),
            sold_out_latch_ms=env.integer("SOLD_OUT_LATCH_MS", defaults.sold_out_latch_ms, 0, 10_000),
            queue_pass_secret=env.optional("QUEUE_PASS_SECRET"),
            queue_release_seconds=env.number("QUEUE_RELEASE_SECONDS", defaults.queue_release_seconds, 0, 3600),
            rate_limits=env.flag("RATE_LIMITS", defaults.rate_limits),
            rate_limit_auth=env.text("RATE_LIMIT_AUTH", defaults.rate_limit_auth),
            rate_limit_holds=env.text("RATE_LIMIT_HOLDS", defaults.rate_limit_holds),
            rate_limit_writes=env.text("RATE_LIMIT_WRITES", defaults.rate_limit_writes),
            rate_limit_reads=env.text("RATE_LIMIT_READS", defaults.rate_limit_reads),
            rate_limit_queue=env.text("RATE_LIMIT_QUEUE", defaults.rate_limit_queue),
            rate_limit_public=env.text("RATE_LIMIT_PUBLIC", defaults.rate_limit_public),
            trusted_proxies=_networks("TRUSTED_PROXIES", env.optional("TRUSTED_PROXIES")),
            jwt_keys=env.optional("JWT_KEYS"),
            access_token_minutes=env.integer("ACCESS_TOKEN_MINUTES", defaults.access_token_minutes, 1, 60),
            refresh_token_days=env.integer("REFRESH_TOKEN_DAYS", defaults.refresh_token_days, 1, 90),
            public_cache_seconds=env.number("PUBLIC_CACHE_SECONDS", defaults.public_cache_seconds, 0, 300),
            quote_ttl_seconds=env.integer("QUOTE_TTL_SECONDS", defaults.quote_ttl_seconds, 10, 24 * 3600),
            frame_ancestors=_frame_ancestors(env.text("FRAME_ANCESTORS", defaults.frame_ancestors)),
            console_tenant=env.text("CONSOLE_TENANT", defaults.console_tenant),
        )
        settings.rate_rules  # noqa: B018 - every spec parsed now, so a bad one stops the start
        alone = settings.single_process_reason
        if alone is not None and env.optional("WORKERS") is None:
            settings = dataclasses.replace(settings, workers=1)
        elif alone is not None and settings.workers > 1:
            raise SettingsError(f"HOLDFAST_WORKERS must be 1 with {alone}, got {settings.workers}")
        if settings.inventory_engine == "redis" and settings.redis_url is None:
            raise SettingsError("HOLDFAST_INVENTORY_ENGINE=redis needs HOLDFAST_REDIS_URL")
        if settings.jobs == "saq" and settings.redis_url is None:
            raise SettingsError("HOLDFAST_JOBS=saq needs HOLDFAST_REDIS_URL")
        _check_stripe(settings)
        _check_fake_payments(settings)
        _check_queue_pass_secret(settings)
        _check_jwt_keys(settings)
        if settings.email == "smtp" and settings.smtp_url is None:
            raise SettingsError("HOLDFAST_EMAIL=smtp needs HOLDFAST_SMTP_URL")
        if settings.otel == "otlp" and settings.otel_endpoint is None:
            raise SettingsError("HOLDFAST_OTEL=otlp needs HOLDFAST_OTEL_ENDPOINT")
        return settings


class _Reader:
    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def optional(self, name: str) -> str | None:
        value = self._environ.get(f"HOLDFAST_{name}", "").strip()
        return value or None

    def text(self, name: str, default: str) -> str:
        return self.optional(name) or default

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        raw = self.optional(name)
        if raw is None:
            return default
        if not raw.isdigit() or not low <= int(raw) <= high:
            raise SettingsError(f"HOLDFAST_{name} must be a whole number from {low} to {high}, got {raw!r}")
        return int(raw)

    def number(self, name: str, default: float, low: float, high: float) -> float:
        raw = self.optional(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            value = float("nan")
        if not low <= value <= high:
            raise SettingsError(f"HOLDFAST_{name} must be a number from {low} to {high}, got {raw!r}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        raw = self.optional(name)
        if raw is None:
            return default
        if raw.lower() not in FLAGS:
            raise SettingsError(f"HOLDFAST_{name} must be true or false, got {raw!r}")
        return FLAGS[raw.lower()]

    def choice(self, name: str, default: str, choices: tuple[str, ...], upper: bool = False) -> str:
        raw = self.optional(name)
        if raw is None:
            return default
        value = raw.upper() if upper else raw.lower()
        if value not in choices:
            raise SettingsError(f"HOLDFAST_{name} must be one of {', '.join(choices)}, got {raw!r}")
        return value


def _database_url(url: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return _with_port("DATABASE_URL", "postgresql+asyncpg://" + url.removeprefix(prefix))
    if url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
        return _with_port("DATABASE_URL", url)
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url.removeprefix("sqlite://")
    raise SettingsError(f"HOLDFAST_DATABASE_URL must be a postgresql:// or sqlite:// URL, got {mask_url(url)!r}")


def _redis_url(url: str | None) -> str | None:
    if url is not None and not url.startswith(("redis://", "rediss://", "unix://")):
        raise SettingsError(f"HOLDFAST_REDIS_URL must be a redis:// URL, got {mask_url(url)!r}")
    return None if url is None else _with_port("REDIS_URL", url)


def _with_port(name: str, url: str) -> str:
    """A port that is not a number would fail later, in the driver, with a traceback; every
    message quoting the URL masks its password (it is in the URL)."""
    try:
        urlsplit(url).port  # noqa: B018 - parsed for the error
    except ValueError:
        raise SettingsError(
            f"HOLDFAST_{name} has a port that is not a number from 0 to 65535: {mask_url(url)!r}"
        ) from None
    return url


def _prefixed(name: str, value: str | None, prefixes: tuple[str, ...]) -> str | None:
    """Stripe's keys say what they are; a swapped or truncated one is caught here, not at checkout."""
    if value is not None and not value.startswith(prefixes):
        raise SettingsError(f"HOLDFAST_{name} must start with {' or '.join(prefixes)}")
    return value


def _http_url(name: str, url: str | None) -> str | None:
    if url is not None and not url.startswith(("http://", "https://")):
        raise SettingsError(f"HOLDFAST_{name} must be an http:// or https:// URL, got {mask_url(url)!r}")
    return url.rstrip("/") if url else None


def _check_stripe(settings: Settings) -> None:
    if settings.payments != "stripe":
        return
    for name, value in (
        ("STRIPE_API_KEY", settings.stripe_api_key),
        ("STRIPE_WEBHOOK_SECRET", settings.stripe_webhook_secret),
    ):
        if value is None:
            raise SettingsError(f"HOLDFAST_PAYMENTS=stripe needs HOLDFAST_{name}")


def _check_fake_payments(settings: Settings) -> None:
    """Outside development the fake gateway is a door: anyone with a key "pays" through it. It
    is refused unless the operator says it is unsafe and meant, and then its webhooks are
    signed with the operator's secret, never the published development one."""
    if settings.payments != "fake" or settings.environment == "development":
        return
    if not settings.allow_unsafe_fake_payments:
        raise SettingsError(
            f"HOLDFAST_ENV={settings.environment} refuses HOLDFAST_PAYMENTS=fake (no real money moves, "
            "anyone can pay): use HOLDFAST_PAYMENTS=stripe, or set HOLDFAST_ALLOW_UNSAFE_FAKE_PAYMENTS=true "
            "for a test deployment"
        )
    if settings.stripe_webhook_secret is None:
        raise SettingsError(
            "HOLDFAST_ALLOW_UNSAFE_FAKE_PAYMENTS outside development needs HOLDFAST_STRIPE_WEBHOOK_SECRET "
            "(whsec_..., the same for every process): the development one is public"
        )


def _check_queue_pass_secret(settings: Settings) -> None:
    """Outside development the key must be the operator's (the development one is public, and
    a per-process one would make each API process refuse the others' passes), and long enough
    not to be guessed."""
    secret = settings.queue_pass_secret
    if secret is not None and len(secret) < MIN_QUEUE_PASS_SECRET:
        raise SettingsError(f"HOLDFAST_QUEUE_PASS_SECRET must be at least {MIN_QUEUE_PASS_SECRET} characters")
    if secret is None and settings.environment != "development":
        raise SettingsError(
            f"HOLDFAST_ENV={settings.environment} needs HOLDFAST_QUEUE_PASS_SECRET (at least "
            f"{MIN_QUEUE_PASS_SECRET} random characters, the same for every process): it signs queue passes"
        )


def parse_jwt_keys(raw: str) -> tuple[tuple[str, str], ...]:
    """``kid:secret,kid2:secret2``: kids of letters, digits, ``._-`` (unique), secrets of at
    least 32 characters (HS256 wants 256 bits: ``openssl rand -base64 32`` gives 44)."""
    keys: list[tuple[str, str]] = []
    for item in raw.split(","):
        kid, _, secret = item.strip().partition(":")
        if not _KID.match(kid) or len(secret) < MIN_JWT_SECRET:
            raise SettingsError(
                f"HOLDFAST_JWT_KEYS must be kid:secret pairs separated by commas, each kid 1 to 64 of "
                f"A-Z a-z 0-9 . _ - and each secret at least {MIN_JWT_SECRET} characters (kid {kid!r} is not)"
            )
        keys.append((kid, secret))
    if len({kid for kid, _ in keys}) != len(keys):
        raise SettingsError("HOLDFAST_JWT_KEYS names a kid twice")
    return tuple(keys)


def _check_jwt_keys(settings: Settings) -> None:
    """Every process must verify what another signed, and nobody else may sign: production
    refuses to start without its own keys (a weak or malformed one is refused by the parse)."""
    if settings.jwt_keys is not None:
        parse_jwt_keys(settings.jwt_keys)
    elif settings.environment != "development":
        raise SettingsError(
            f"HOLDFAST_ENV={settings.environment} needs HOLDFAST_JWT_KEYS (kid:secret, the same for every "
            "process; e.g. k1:$(openssl rand -base64 32)): access tokens are signed with it"
        )


def _smtp_url(url: str | None) -> str | None:
    if url is None:
        return None
    try:
        parts = urlsplit(url)
        valid = parts.scheme in ("smtp", "smtps") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a port that is not a number from 0 to 65535
        valid = False
    if not valid:  # the value is not echoed: it may hold the SMTP password
        raise SettingsError(
            "HOLDFAST_SMTP_URL must be smtp://[user:password@]host[:port][?starttls=true] or smtps://..."
        )
    return url


def _email_from(sender: str) -> str:
    address = parseaddr(sender)[1]
    if "@" not in address or any(char in sender for char in "\r\n"):
        example = "'Holdfast <no-reply@example.com>'"
        raise SettingsError(f"HOLDFAST_EMAIL_FROM must be an address, e.g. {example}, got {sender!r}")
    return sender


def parse_rate(name: str, spec: str) -> RateRule | None:
    """``"200/s burst 400"``: 200 tokens a second, 400 at most; ``"10/m"``: 10 a minute, 10 at most;
    ``"off"``: not limited."""
    text = spec.strip()
    if text.lower() == "off":
        return None
    found = _RATE_SPEC.fullmatch(text)
    count = int(found[1]) if found else 0
    burst = int(found[3]) if found and found[3] else count
    if not found or count < 1 or burst < 1:
        raise SettingsError(
            f"HOLDFAST_RATE_LIMIT_{name.upper()} must be '<n>/<s|m|h>' with an optional ' burst <n>' "
            f"(e.g. '200/s burst 400') or 'off', got {spec!r}"
        )
    return RateRule(capacity=burst, per_second=count / _RATE_UNITS[found[2].lower()])


def _networks(name: str, value: str | None) -> tuple[str, ...]:
    """Comma-separated addresses or networks (``10.0.0.0/8``), each checked here."""
    if value is None:
        return ()
    parts = tuple(part.strip() for part in value.split(",") if part.strip())
    for part in parts:
        try:
            ipaddress.ip_network(part, strict=False)
        except ValueError:
            raise SettingsError(f"HOLDFAST_{name} must be addresses or networks (10.0.0.0/8), got {part!r}") from None
    return parts


def _frame_ancestors(value: str) -> str:
    """A CSP source list: no ";" or "," (they would end the directive and start another)."""
    if not value.strip() or any(char in value for char in ";,\r\n"):
        raise SettingsError(
            f"HOLDFAST_FRAME_ANCESTORS must be a CSP source list such as 'none' or 'self', got {value!r}"
        )
    return value.strip()
