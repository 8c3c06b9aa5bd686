"""Multi-row writes on Postgres as one statement text: each column passed as one array and
``unnest``-ed, so the statement is prepared once whatever the number of rows, and the rows cost
the driver one parameter a column instead of SQLAlchemy's per-row parameter processing.

Values go as the row dicts the mappers make; JSON columns are encoded with ``json_text`` (what
the engine's JSON columns use) and cast back to ``json`` in the statement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from infrastructure.persistence.database import json_text


def columns_of(rows: Sequence[Mapping[str, Any]], types: Mapping[str, str], prefix: str) -> dict[str, list[Any]]:
    """The parameters of ``unnest_insert``: one list a column, rows in order."""
    params: dict[str, list[Any]] = {}
    for name, sql_type in types.items():
        values = [row[name] for row in rows]
        if sql_type == "json":
            values = [json_text(v) for v in values]
        elif sql_type == "timestamptz" and any(v is not None and v.tzinfo is None for v in values):
            raise TypeError("tzinfo is required")  # as the tables' DateTimeUTC columns refuse it
        params[prefix + name] = values
    return params


def unnest_rows(types: Mapping[str, str], prefix: str, alias: str) -> str:
    """``unnest(arrays) WITH ORDINALITY AS alias(columns, position)``: the rows ``columns_of``
    passed, JSON ones still text (``json_value`` casts them), ``alias.position`` their order."""
    arrays = ", ".join(f"CAST(:{prefix}{name} AS {_array_type(sql_type)}[])" for name, sql_type in types.items())
    return f"unnest({arrays}) WITH ORDINALITY AS {alias}({', '.join(types)}, position)"


def json_value(types: Mapping[str, str], alias: str, name: str) -> str:
    """Column ``name`` of ``unnest_rows``' rows, as the table takes it."""
    return f"CAST({alias}.{name} AS json)" if types[name] == "json" else f"{alias}.{name}"


def unnest_insert(table: str, types: Mapping[str, str], prefix: str, *, join: tuple[str, str] | None = None) -> str:
    """``INSERT INTO table (columns) SELECT ... FROM unnest(arrays)``, rows in the arrays' order;
    with ``join=(column, cte)``, only the rows whose ``column`` is an ``id`` the CTE returned."""
    values = ", ".join(json_value(types, "r", name) for name in types)
    joined = f" JOIN {join[1]} ON {join[1]}.id = r.{join[0]}" if join else ""
    return (
        f"INSERT INTO {table} ({', '.join(types)}) SELECT {values} "
        f"FROM {unnest_rows(types, prefix, 'r')}{joined} ORDER BY r.position"
    )


def _array_type(sql_type: str) -> str:
    return "text" if sql_type == "json" else sql_type
