"""What a night costs: the one place a stay's nightly price is looked up."""

from __future__ import annotations

from domain.listings import Pool


def night_price(pool: Pool) -> int:
    """The price of one unit of a night pool, in minor units of the pool's currency.

    For now the night pool's own ``unit_price`` (made from the room type's base price). The
    calendar and the stay hold both ask here, so a pricing engine (seasons, weekday rates) is
    wired in by changing this function alone.
    """
    return pool.unit_price.amount
