"""Shared fixtures: engines on a clean slate, and the real servers the suites need."""

from __future__ import annotations

import pytest

from tests.engines import memory_engine
from tests.property.engine_machine import EngineFactory


@pytest.fixture
def memory_factory() -> EngineFactory:
    return memory_engine
