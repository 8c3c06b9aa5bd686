"""Price rules and breakdowns as plain JSON-ready dicts: one shape for the API and the store.

Dates are ISO strings, ids strings, weekdays their short names (``"fri"``). ``rules_from_dict``
builds the domain objects, so every rule is validated on the way in.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from domain.errors import InvalidValueError
from domain.pricing import (
    WEEKDAYS,
    ChargeKind,
    Fee,
    LineKind,
    Per,
    PriceBreakdown,
    PriceLine,
    PriceRules,
    Season,
    StayDiscount,
    Tax,
    WeekdayRate,
)

Json = dict[str, Any]


def rules_to_dict(rules: PriceRules) -> Json:
    return {
        "seasons": [_season_out(season) for season in rules.seasons],
        "weekday_rates": [
            {"name": rate.name, "weekdays": [WEEKDAYS[day] for day in rate.weekdays], "adjust_bp": rate.adjust_bp}
            for rate in rules.weekday_rates
        ],
        "stay_discounts": [{"min_nights": d.min_nights, "percent_bp": d.percent_bp} for d in rules.stay_discounts],
        "fees": [{"name": f.name, "kind": f.kind.value, "value": f.value, "per": f.per.value} for f in rules.fees],
        "taxes": [
            {"name": t.name, "kind": t.kind.value, "value": t.value, "per": t.per.value, "inclusive": t.inclusive}
            for t in rules.taxes
        ],
    }


def _season_out(season: Season) -> Json:
    return {
        "name": season.name,
        "starts_on": season.starts_on.isoformat(),
        "ends_on": season.ends_on.isoformat(),
        "unit_price": season.unit_price,
        "pool_ids": [str(pool) for pool in season.pool_ids],
    }


def rules_from_dict(data: Json) -> PriceRules:
    """The rules ``data`` describes; ``InvalidValueError`` (or ``SeasonsOverlapError``) if they break one."""
    try:
        return PriceRules(
            seasons=tuple(_season_in(item) for item in data.get("seasons", ())),
            weekday_rates=tuple(
                WeekdayRate(item["name"], tuple(_weekday(day) for day in item["weekdays"]), item["adjust_bp"])
                for item in data.get("weekday_rates", ())
            ),
            stay_discounts=tuple(
                StayDiscount(item["min_nights"], item["percent_bp"]) for item in data.get("stay_discounts", ())
            ),
            fees=tuple(
                Fee(item["name"], ChargeKind(item["kind"]), item["value"], Per(item.get("per", "booking")))
                for item in data.get("fees", ())
            ),
            taxes=tuple(
                Tax(
                    item["name"],
                    ChargeKind(item["kind"]),
                    item["value"],
                    Per(item.get("per", "booking")),
                    bool(item.get("inclusive", False)),
                )
                for item in data.get("taxes", ())
            ),
        )
    except (KeyError, ValueError, TypeError) as exc:  # a missing field, a bad date or kind
        raise InvalidValueError("pricing", f"malformed rule: {exc}") from exc


def _season_in(item: Json) -> Season:
    pools = tuple(UUID(str(pool)) for pool in item.get("pool_ids", ()))
    return Season(
        item["name"],
        date.fromisoformat(item["starts_on"]),
        date.fromisoformat(item["ends_on"]),
        item["unit_price"],
        pools,
    )


def _weekday(name: str) -> int:
    if name not in WEEKDAYS:
        raise InvalidValueError("weekdays", f"must be among {', '.join(WEEKDAYS)}")
    return WEEKDAYS.index(name)


def breakdown_to_dict(breakdown: PriceBreakdown) -> Json:
    return {
        "lines": [_line_out(line) for line in breakdown.lines],
        "subtotal": breakdown.subtotal,
        "tax": breakdown.tax,
        "included_tax": breakdown.included_tax,
    }


def _line_out(line: PriceLine) -> Json:
    return {
        "kind": line.kind.value,
        "label": line.label,
        "amount": line.amount,
        "pool_id": None if line.pool_id is None else str(line.pool_id),
        "quantity": line.quantity,
        "day": None if line.day is None else line.day.isoformat(),
        "included": line.included,
    }


def breakdown_from_dict(data: Json) -> PriceBreakdown:
    lines = tuple(
        PriceLine(
            LineKind(item["kind"]),
            item["label"],
            item["amount"],
            None if item["pool_id"] is None else UUID(item["pool_id"]),
            item["quantity"],
            None if item["day"] is None else date.fromisoformat(item["day"]),
            item["included"],
        )
        for item in data["lines"]
    )
    return PriceBreakdown(lines, data["subtotal"], data["tax"], data["included_tax"])
