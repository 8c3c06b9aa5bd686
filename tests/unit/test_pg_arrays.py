"""Rows passed to Postgres as one array a column (``persistence/pg_arrays.py``) keep what the
tables' column types checked when SQLAlchemy bound each row."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from infrastructure.persistence.pg_arrays import columns_of, unnest_insert

TYPES = {"id": "integer", "at": "timestamptz", "data": "json"}


def test_rows_become_one_list_a_column_json_encoded_in_order() -> None:
    rows = [{"id": 1, "at": datetime(2030, 1, 1, tzinfo=UTC), "data": {"é": [1]}}, {"id": 2, "at": None, "data": []}]

    params = columns_of(rows, TYPES, "x_")

    assert params["x_id"] == [1, 2]
    assert params["x_at"] == [rows[0]["at"], None]
    assert [json.loads(text) for text in params["x_data"]] == [{"é": [1]}, []]


def test_a_naive_time_is_refused_as_the_datetimeutc_columns_refuse_it() -> None:
    with pytest.raises(TypeError, match="tzinfo"):
        columns_of([{"id": 1, "at": datetime(2030, 1, 1), "data": {}}], TYPES, "x_")


def test_the_insert_reads_the_arrays_in_order_and_casts_json_back() -> None:
    sql = unnest_insert("t", TYPES, "x_", join=("id", "added"))

    assert sql.startswith("INSERT INTO t (id, at, data) SELECT r.id, r.at, CAST(r.data AS json) FROM unnest(")
    assert "CAST(:x_data AS text[])" in sql
    assert "CAST(:x_at AS timestamptz[])" in sql
    assert sql.endswith("AS r(id, at, data, position) JOIN added ON added.id = r.id ORDER BY r.position")
