"""One conformance suite, run against every inventory engine.

Each engine gets its own fresh state per Hypothesis example; the servers behind the SQL and
Redis engines are the real ones the test set-up starts.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from tests.property.engine_machine import EngineFactory, EngineMachine


def check(factory: EngineFactory, max_examples: int) -> None:
    machine = type("Machine", (EngineMachine,), {"factory": staticmethod(factory)})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=max_examples,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )


def test_memory_engine_conforms(memory_factory: EngineFactory) -> None:
    check(memory_factory, max_examples=300)


def test_sql_engine_on_sqlite_conforms(sqlite_factory: EngineFactory) -> None:
    check(sqlite_factory, max_examples=100)


def test_sql_engine_on_postgres_conforms(postgres_factory: EngineFactory) -> None:
    check(postgres_factory, max_examples=100)


def test_redis_engine_conforms(redis_factory: EngineFactory) -> None:
    check(redis_factory, max_examples=100)
