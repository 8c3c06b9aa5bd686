"""Log lines are written in batches: never lost at a flush, at the app's shutdown or at exit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from loguru import logger

import infrastructure.logging
from infrastructure.logging import configure_logging, flush_logs
from infrastructure.settings import Settings
from interfaces.http.app import create_app


@pytest.fixture(autouse=True)
def _only_explicit_flushes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A batch waits an hour for its drain: only the flush under test writes."""
    monkeypatch.setattr(infrastructure.logging, "FLUSH_SECONDS", 3600)
    yield
    configure_logging(Settings())


async def test_lines_logged_in_the_event_loop_are_written_when_flushed(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(Settings())
    logger.info("first {}", 1)
    logger.info("second for jane.doe@example.com")

    flush_logs()

    err = capsys.readouterr().err
    assert "first 1" in err
    assert "second for j***@example.com" in err  # masked, batch or not


async def test_lines_are_written_when_the_sink_is_removed_as_at_exit(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(Settings(environment="production"))
    logger.info("the last words")

    logger.remove()  # what loguru does at exit

    assert "the last words" in capsys.readouterr().out


async def test_the_apps_shutdown_writes_every_pending_line(sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    app = create_app(Settings(database_url=sqlite_url, expiry_sweep_seconds=0))
    async with app.lifespan():
        logger.info("logged just before the shutdown")

    assert "logged just before the shutdown" in capsys.readouterr().err
