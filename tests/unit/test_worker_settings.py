"""HOLDFAST_WORKERS: how many processes `holdfast serve` runs on its one port."""

from __future__ import annotations

import os

import pytest

from infrastructure.settings import MAX_WORKERS, Settings, SettingsError

POSTGRES = {"HOLDFAST_DATABASE_URL": "postgresql://u:p@db:5432/holdfast"}


def _cores() -> int:
    return len(os.sched_getaffinity(0))


def test_on_postgres_the_default_is_one_worker_per_core() -> None:
    assert Settings.from_env(POSTGRES).workers == max(1, min(_cores(), MAX_WORKERS))


def test_the_embedded_default_serves_from_one_process() -> None:
    # SQLite orders its one writer with a lock inside the process.
    assert Settings.from_env({}).workers == 1


def test_the_memory_engine_serves_from_one_process() -> None:
    assert Settings.from_env({**POSTGRES, "HOLDFAST_INVENTORY_ENGINE": "memory"}).workers == 1


@pytest.mark.parametrize("value", ["1", "2", "64"])
def test_a_worker_count_is_taken_as_given(value: str) -> None:
    assert Settings.from_env({**POSTGRES, "HOLDFAST_WORKERS": value}).workers == int(value)


@pytest.mark.parametrize("value", ["0", "-1", "65", "two", "1.5"])
def test_a_bad_worker_count_names_the_variable(value: str) -> None:
    with pytest.raises(SettingsError, match=r"HOLDFAST_WORKERS must be a whole number from 1 to 64"):
        Settings.from_env({**POSTGRES, "HOLDFAST_WORKERS": value})


@pytest.mark.parametrize(
    ("env", "why"),
    [
        ({}, "SQLite"),
        ({**POSTGRES, "HOLDFAST_INVENTORY_ENGINE": "memory"}, "HOLDFAST_INVENTORY_ENGINE=memory"),
    ],
)
def test_more_than_one_worker_is_refused_where_processes_cannot_share_the_work(env: dict[str, str], why: str) -> None:
    with pytest.raises(SettingsError, match=rf"HOLDFAST_WORKERS must be 1 with {why}.*got 2"):
        Settings.from_env({**env, "HOLDFAST_WORKERS": "2"})
    assert Settings.from_env({**env, "HOLDFAST_WORKERS": "1"}).workers == 1
