"""The SQL engine's Postgres functions: placing, releasing and confirming a hold in one call each,
so in one round trip each.

``holdfast_place_hold`` does inside Postgres what ``SqlInventoryEngine`` does step by step on
SQLite, in the same order and with the same locks:

1. claim the id (insert the hold row; a concurrent call with the same id waits here for the
   first to end, then finds its hold and returns it for the caller to compare);
2. expire up to ``p_expire_max`` due holds of the listing, hold rows locked in id order, and give
   their units back -- pools in id order, then customers in code-point order, the new hold's
   pools and customer joining the pass with nothing to give back, so its rows are locked in the
   same order as every other transaction's;
3. reserve every line with the conditional ``UPDATE`` in pool-id order, then count the units
   against the customer's limit with the conditional upsert;
4. insert the lines.

A refusal is an answer, not an error: the reservations it made are undone and the claimed row
deleted, but the expiries of step 2 stay (as the reference model's do), and a caller's
transaction is not aborted. Every statement of a VOLATILE plpgsql function takes a new
snapshot in READ COMMITTED, so each conditional update sees the newest committed row, as the
separate statements did.

The hot pool's row lock is now held from its UPDATE to the commit without a client round trip
in between: that is what lets a hot pool approach the speed of the bare conditional UPDATE.

``outcome`` is one of ``placed``, ``exists`` (the hold's row, lines in position order),
``missing`` (the id was taken by a hold that is gone), ``not_found`` (``pool_ids``: the pool),
``insufficient`` (``pool_ids`` and ``amounts``: short pools in line order and what each has
left) or ``limit`` (``amounts``: limit, units already held, units asked).

``holdfast_release_hold`` and ``holdfast_confirm_hold`` are the status change that decides,
exactly once, which call moves the counters, then the counters (below).

Migration 0013 creates them (frozen copies); ``tests/integration/test_migrations.py`` checks
that the copies and these texts define the same functions.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import DDL, BigInteger, Boolean, DateTime, Integer, String, Uuid, column, event, text
from sqlalchemy.dialects.postgresql import ARRAY

from domain.errors import CustomerLimitExceededError, DomainError, InsufficientInventoryError, NotFoundError
from domain.inventory import Hold, HoldLine, HoldStatus
from infrastructure.inventory.sql_rows import utc
from infrastructure.inventory.sql_tables import inventory_hold_lines
from infrastructure.persistence.database import json_text

PLACE_HOLD_FUNCTION = """
CREATE OR REPLACE FUNCTION holdfast_place_hold(
    p_id uuid, p_tenant_id uuid, p_listing_id uuid, p_customer_ref varchar, p_currency varchar,
    p_created_at timestamptz, p_expires_at timestamptz,
    p_pools uuid[], p_quantities integer[], p_prices bigint[],
    p_limit integer, p_expire_max integer,
    OUT outcome text, OUT pool_ids uuid[], OUT amounts integer[], OUT prices bigint[],
    OUT h_tenant_id uuid, OUT h_listing_id uuid, OUT h_customer_ref varchar, OUT h_currency varchar,
    OUT h_status varchar, OUT h_created_at timestamptz, OUT h_expires_at timestamptz
) LANGUAGE plpgsql AS $$
DECLARE
    v_ended uuid[] := '{}';
    v_taken uuid[] := '{}';
    v_short uuid[] := '{}';
    v_quantity integer := (SELECT sum(q) FROM unnest(p_quantities) AS q);
    v_id uuid;
    v_row record;
    v_pool record;
BEGIN
    INSERT INTO inventory_holds (id, tenant_id, listing_id, customer_ref, currency, status, created_at, expires_at)
    VALUES (p_id, p_tenant_id, p_listing_id, p_customer_ref, p_currency, 'active', p_created_at, p_expires_at)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        SELECT h.tenant_id, h.listing_id, h.customer_ref, h.currency, h.status, h.created_at, h.expires_at
          INTO h_tenant_id, h_listing_id, h_customer_ref, h_currency, h_status, h_created_at, h_expires_at
          FROM inventory_holds h WHERE h.id = p_id;
        IF NOT FOUND THEN
            outcome := 'missing';
            RETURN;
        END IF;
        SELECT array_agg(l.pool_id ORDER BY l.position), array_agg(l.quantity ORDER BY l.position),
               array_agg(l.unit_price ORDER BY l.position)
          INTO pool_ids, amounts, prices
          FROM inventory_hold_lines l WHERE l.hold_id = p_id;
        outcome := 'exists';
        RETURN;
    END IF;

    FOR v_id IN
        SELECT due.id FROM (
            SELECT h.id FROM inventory_holds h
             WHERE h.listing_id = p_listing_id AND h.status = 'active' AND h.expires_at <= p_created_at
             ORDER BY h.expires_at, h.id LIMIT p_expire_max
        ) due ORDER BY due.id
    LOOP
        UPDATE inventory_holds SET status = 'expired' WHERE id = v_id AND status = 'active';
        IF FOUND THEN
            v_ended := v_ended || v_id;
        END IF;
    END LOOP;
    IF cardinality(v_ended) > 0 THEN
        FOR v_row IN
            SELECT given.pool_id, sum(given.quantity)::integer AS quantity FROM (
                SELECT l.pool_id, l.quantity FROM inventory_hold_lines l WHERE l.hold_id = ANY (v_ended)
                UNION ALL SELECT unnest(p_pools), 0
            ) given GROUP BY given.pool_id ORDER BY given.pool_id
        LOOP
            UPDATE inventory_pools SET held = held - v_row.quantity WHERE pool_id = v_row.pool_id;
        END LOOP;
        FOR v_row IN
            SELECT given.customer_ref, sum(given.units)::integer AS units FROM (
                SELECT h.customer_ref, l.quantity AS units
                  FROM inventory_holds h JOIN inventory_hold_lines l ON l.hold_id = h.id
                 WHERE h.id = ANY (v_ended)
                UNION ALL SELECT p_customer_ref, 0
            ) given GROUP BY given.customer_ref ORDER BY given.customer_ref COLLATE "C"
        LOOP
            UPDATE inventory_customer_units SET units = units - v_row.units
             WHERE listing_id = p_listing_id AND customer_ref = v_row.customer_ref;
        END LOOP;
    END IF;

    FOR v_row IN
        SELECT line.pool_id, line.quantity FROM unnest(p_pools, p_quantities) AS line(pool_id, quantity)
         ORDER BY line.pool_id
    LOOP
        UPDATE inventory_pools SET held = held + v_row.quantity
         WHERE pool_id = v_row.pool_id AND listing_id = p_listing_id AND capacity - held - sold >= v_row.quantity;
        IF FOUND THEN
            v_taken := v_taken || v_row.pool_id;
        ELSE
            v_short := v_short || v_row.pool_id;
        END IF;
    END LOOP;
    IF cardinality(v_short) > 0 THEN
        outcome := 'insufficient';
        pool_ids := '{}';
        amounts := '{}';
        FOR i IN 1 .. cardinality(p_pools) LOOP
            CONTINUE WHEN NOT (p_pools[i] = ANY (v_short));
            SELECT p.listing_id, p.capacity - p.held - p.sold AS available INTO v_pool
              FROM inventory_pools p WHERE p.pool_id = p_pools[i];
            IF NOT FOUND OR v_pool.listing_id <> p_listing_id THEN
                outcome := 'not_found';
                pool_ids := ARRAY[p_pools[i]];
                amounts := NULL;
                EXIT;
            END IF;
            pool_ids := pool_ids || p_pools[i];
            amounts := amounts || v_pool.available;
        END LOOP;
    ELSIF p_limit IS NOT NULL AND v_quantity > p_limit THEN
        outcome := 'limit';
    ELSE
        INSERT INTO inventory_customer_units AS c (listing_id, customer_ref, units)
        VALUES (p_listing_id, p_customer_ref, v_quantity)
        ON CONFLICT (listing_id, customer_ref) DO UPDATE SET units = c.units + EXCLUDED.units
         WHERE p_limit IS NULL OR c.units + EXCLUDED.units <= p_limit;
        IF NOT FOUND THEN
            outcome := 'limit';
        END IF;
    END IF;

    IF outcome IS NOT NULL THEN
        IF outcome = 'limit' THEN
            amounts := ARRAY[p_limit, coalesce((SELECT c.units FROM inventory_customer_units c
                WHERE c.listing_id = p_listing_id AND c.customer_ref = p_customer_ref), 0), v_quantity];
        END IF;
        UPDATE inventory_pools p SET held = p.held - line.quantity
          FROM unnest(p_pools, p_quantities) AS line(pool_id, quantity)
         WHERE p.pool_id = line.pool_id AND line.pool_id = ANY (v_taken);
        DELETE FROM inventory_holds WHERE id = p_id;
        RETURN;
    END IF;

    INSERT INTO inventory_hold_lines (hold_id, pool_id, position, quantity, unit_price)
    SELECT p_id, line.pool_id, line.n - 1, line.quantity, line.price
      FROM unnest(p_pools, p_quantities, p_prices) WITH ORDINALITY AS line(pool_id, quantity, price, n);
    outcome := 'placed';
END
$$
"""


# Releasing and confirming: the status change that decides, exactly once, which call moves the
# counters; then the hold as stored (``h_status`` is NULL when there is none); then, if this call
# moved it, its counters -- pools in id order, then the customer, as everywhere else.
RELEASE_HOLD_FUNCTION = """
CREATE OR REPLACE FUNCTION holdfast_release_hold(
    p_id uuid, p_now timestamptz,
    OUT moved boolean, OUT pool_ids uuid[], OUT amounts integer[], OUT prices bigint[],
    OUT h_tenant_id uuid, OUT h_listing_id uuid, OUT h_customer_ref varchar, OUT h_currency varchar,
    OUT h_status varchar, OUT h_created_at timestamptz, OUT h_expires_at timestamptz
) LANGUAGE plpgsql AS $$
DECLARE
    v_row record;
BEGIN
    UPDATE inventory_holds SET status = CASE WHEN expires_at <= p_now THEN 'expired' ELSE 'released' END
     WHERE id = p_id AND status = 'active';
    moved := FOUND;
    SELECT h.tenant_id, h.listing_id, h.customer_ref, h.currency, h.status, h.created_at, h.expires_at
      INTO h_tenant_id, h_listing_id, h_customer_ref, h_currency, h_status, h_created_at, h_expires_at
      FROM inventory_holds h WHERE h.id = p_id;
    SELECT array_agg(l.pool_id ORDER BY l.position), array_agg(l.quantity ORDER BY l.position),
           array_agg(l.unit_price ORDER BY l.position)
      INTO pool_ids, amounts, prices
      FROM inventory_hold_lines l WHERE l.hold_id = p_id;
    IF moved THEN
        FOR v_row IN SELECT l.pool_id, l.quantity FROM inventory_hold_lines l WHERE l.hold_id = p_id ORDER BY l.pool_id
        LOOP
            UPDATE inventory_pools SET held = held - v_row.quantity WHERE pool_id = v_row.pool_id;
        END LOOP;
        UPDATE inventory_customer_units SET units = units - (SELECT sum(q) FROM unnest(amounts) AS q)
         WHERE listing_id = h_listing_id AND customer_ref = h_customer_ref;
    END IF;
END
$$
"""
CONFIRM_HOLD_FUNCTION = """
CREATE OR REPLACE FUNCTION holdfast_confirm_hold(
    p_id uuid, p_now timestamptz,
    OUT moved boolean, OUT pool_ids uuid[], OUT amounts integer[], OUT prices bigint[],
    OUT h_tenant_id uuid, OUT h_listing_id uuid, OUT h_customer_ref varchar, OUT h_currency varchar,
    OUT h_status varchar, OUT h_created_at timestamptz, OUT h_expires_at timestamptz
) LANGUAGE plpgsql AS $$
DECLARE
    v_row record;
BEGIN
    UPDATE inventory_holds SET status = 'confirmed' WHERE id = p_id AND status = 'active' AND expires_at > p_now;
    moved := FOUND;
    SELECT h.tenant_id, h.listing_id, h.customer_ref, h.currency, h.status, h.created_at, h.expires_at
      INTO h_tenant_id, h_listing_id, h_customer_ref, h_currency, h_status, h_created_at, h_expires_at
      FROM inventory_holds h WHERE h.id = p_id;
    SELECT array_agg(l.pool_id ORDER BY l.position), array_agg(l.quantity ORDER BY l.position),
           array_agg(l.unit_price ORDER BY l.position)
      INTO pool_ids, amounts, prices
      FROM inventory_hold_lines l WHERE l.hold_id = p_id;
    IF moved THEN
        FOR v_row IN SELECT l.pool_id, l.quantity FROM inventory_hold_lines l WHERE l.hold_id = p_id ORDER BY l.pool_id
        LOOP
            UPDATE inventory_pools SET held = held - v_row.quantity, sold = sold + v_row.quantity
             WHERE pool_id = v_row.pool_id;
        END LOOP;
    END IF;
END
$$
"""

FUNCTIONS = {
    "holdfast_place_hold": PLACE_HOLD_FUNCTION,
    "holdfast_release_hold": RELEASE_HOLD_FUNCTION,
    "holdfast_confirm_hold": CONFIRM_HOLD_FUNCTION,
}

# Databases built from the tables rather than by migrations (the tests') get the function too.
for _function in FUNCTIONS.values():
    event.listen(inventory_hold_lines, "after_create", DDL(_function).execute_if(dialect="postgresql"))


_HOLD_COLUMNS = (
    column("pool_ids", ARRAY(Uuid)),
    column("amounts", ARRAY(Integer)),
    column("prices", ARRAY(BigInteger)),
    column("h_tenant_id", Uuid),
    column("h_listing_id", Uuid),
    column("h_customer_ref", String),
    column("h_currency", String),
    column("h_status", String),
    column("h_created_at", DateTime(timezone=True)),
    column("h_expires_at", DateTime(timezone=True)),
)
PLACE_HOLD = text(
    "SELECT * FROM holdfast_place_hold(CAST(:id AS uuid), CAST(:tenant_id AS uuid), CAST(:listing_id AS uuid), "
    ":customer_ref, :currency, :created_at, :expires_at, CAST(:pools AS uuid[]), CAST(:quantities AS integer[]), "
    "CAST(:prices AS bigint[]), CAST(:limit AS integer), CAST(:expire_max AS integer))"
).columns(column("outcome", String), *_HOLD_COLUMNS)
# The hold and its audit row (``hold.place``) in one statement, so in one round trip and one
# transaction: a data-modifying CTE runs whatever the outer query reads, and inserts the row
# only when the function placed the hold (not for a retry, not for a refusal).
PLACE_HOLD_AUDITED = text(
    "WITH placed AS (SELECT * FROM holdfast_place_hold(CAST(:id AS uuid), CAST(:tenant_id AS uuid), "
    "CAST(:listing_id AS uuid), :customer_ref, :currency, :created_at, :expires_at, CAST(:pools AS uuid[]), "
    "CAST(:quantities AS integer[]), CAST(:prices AS bigint[]), CAST(:limit AS integer), "
    "CAST(:expire_max AS integer))), "
    "audited AS (INSERT INTO audit_logs (id, occurred_at, tenant_id, actor, role, action, entity_type, entity_id, "
    "after, ip, user_agent, correlation_id) SELECT CAST(:a_id AS uuid), CAST(:a_occurred_at AS timestamptz), "
    "CAST(:a_tenant_id AS uuid), CAST(:a_actor AS varchar), CAST(:a_role AS varchar), CAST(:a_action AS varchar), "
    "CAST(:a_entity_type AS varchar), CAST(:a_entity_id AS varchar), CAST(:a_after AS json), "
    "CAST(:a_ip AS varchar), CAST(:a_user_agent AS varchar), CAST(:a_correlation_id AS varchar) "
    "FROM placed WHERE placed.outcome = 'placed') "
    "SELECT * FROM placed"
).columns(column("outcome", String), *_HOLD_COLUMNS)
RELEASE_HOLD = text("SELECT * FROM holdfast_release_hold(CAST(:id AS uuid), :now)").columns(
    column("moved", Boolean), *_HOLD_COLUMNS
)
CONFIRM_HOLD = text("SELECT * FROM holdfast_confirm_hold(CAST(:id AS uuid), :now)").columns(
    column("moved", Boolean), *_HOLD_COLUMNS
)


def audited_params(row: dict[str, Any]) -> dict[str, Any]:
    """``PLACE_HOLD_AUDITED``'s audit parameters from an ``audit_logs`` row (its JSON as text)."""
    params = {f"a_{name}": value for name, value in row.items() if name != "before"}
    params["a_after"] = None if row["after"] is None else json_text(row["after"])
    return params


def place_hold_params(hold: Hold, customer_limit: int | None, expire_max: int) -> dict[str, Any]:
    """Lines go in position order: the function stores them so, and reports short pools so."""
    return {
        "id": hold.id,
        "tenant_id": hold.tenant_id,
        "listing_id": hold.listing_id,
        "customer_ref": hold.customer_ref,
        "currency": hold.currency,
        "created_at": utc(hold.created_at),
        "expires_at": utc(hold.expires_at),
        "pools": [line.pool_id for line in hold.lines],
        "quantities": [line.quantity for line in hold.lines],
        "prices": [line.unit_price for line in hold.lines],
        "limit": customer_limit,
        "expire_max": expire_max,
    }


def refusal_of(row: Any, hold: Hold) -> DomainError | None:
    """The error the steps would have raised for this outcome; None when the hold was placed."""
    if row.outcome == "placed":
        return None
    if row.outcome == "not_found":
        return NotFoundError("pool", row.pool_ids[0])
    if row.outcome == "insufficient":
        return InsufficientInventoryError(dict(zip(row.pool_ids, row.amounts, strict=True)))
    if row.outcome == "limit":
        limit, already, asked = row.amounts
        return CustomerLimitExceededError(limit, already, asked)
    if row.outcome == "missing":
        return NotFoundError("hold", hold.id)
    raise ValueError(f"holdfast_place_hold answered {row.outcome!r}")


def stored_hold(row: Any, hold_id: Any) -> Hold:
    """The hold as the function read it (``exists``, or after a release or confirm)."""
    if row.h_status is None:
        raise NotFoundError("hold", hold_id)
    return Hold(
        id=hold_id,
        tenant_id=row.h_tenant_id,
        listing_id=row.h_listing_id,
        customer_ref=row.h_customer_ref,
        lines=tuple(HoldLine(*line) for line in zip(row.pool_ids, row.amounts, row.prices, strict=True)),
        currency=row.h_currency,
        created_at=utc(row.h_created_at),
        expires_at=utc(row.h_expires_at),
        status=HoldStatus(row.h_status),
    )
