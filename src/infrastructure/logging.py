"""Loguru set-up: JSON lines in production, readable lines in development.

Every line carries the correlation id of the request (or job) it belongs to.
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from typing import Any

from loguru import logger

from infrastructure.settings import Settings

correlation_id: ContextVar[str] = ContextVar("correlation_id", default="-")

_READABLE = (
    "<green>{time:HH:mm:ss.SSS}</green> <level>{level: <7}</level> <cyan>{extra[correlation_id]}</cyan> {message}"
)


def _with_context(record: Any) -> None:
    record["extra"].setdefault("correlation_id", correlation_id.get())


class _ToLoguru(logging.Handler):
    """Sends the standard library's records (uvicorn, SQLAlchemy) through loguru."""

    def emit(self, record: logging.LogRecord) -> None:
        level: str | int = record.levelname if record.levelname in logger._core.levels else record.levelno  # type: ignore[attr-defined]
        logger.opt(depth=6, exception=record.exc_info).log(level, record.getMessage())


def configure_logging(settings: Settings) -> None:
    production = settings.environment == "production"
    logger.remove()
    logger.configure(patcher=_with_context)
    if production:
        logger.add(sys.stdout, level=settings.log_level, serialize=True, backtrace=False, diagnose=False)
    else:
        logger.add(sys.stderr, level=settings.log_level, format=_READABLE, backtrace=False, diagnose=False)
    logging.basicConfig(handlers=[_ToLoguru()], level=logging.INFO, force=True)
