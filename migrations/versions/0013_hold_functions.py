"""holdfast_place_hold, _release_hold, _confirm_hold: the SQL engine's calls on Postgres, one round trip each

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03

A frozen copy of ``infrastructure/inventory/sql_functions.py`` as of this revision (a later
change to a function ships as a migration of its own). Postgres only: on SQLite the engine
runs the same steps as separate statements, as before.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

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

SIGNATURES = (
    "holdfast_place_hold(uuid, uuid, uuid, varchar, varchar, timestamptz, timestamptz, uuid[], integer[], bigint[], "
    "integer, integer)",
    "holdfast_release_hold(uuid, timestamptz)",
    "holdfast_confirm_hold(uuid, timestamptz)",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for function in (PLACE_HOLD_FUNCTION, RELEASE_HOLD_FUNCTION, CONFIRM_HOLD_FUNCTION):
            op.execute(function)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for signature in SIGNATURES:
            op.execute(f"DROP FUNCTION IF EXISTS {signature}")
