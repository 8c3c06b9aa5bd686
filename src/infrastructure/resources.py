"""Where the files that are not Python modules of the service are: the Redis scripts (``lua/``),
the migration scripts (``migrations/``) and ``alembic.ini``.

The repository's top-level ``lua/`` and ``migrations/`` are their source of truth. A wheel
(``pip install .``) carries copies of them inside this package, under ``_data/``
(pyproject.toml, ``force-include``); a checkout (an editable install, ``PYTHONPATH=src``) has no
``_data/`` and uses the top-level ones. Installs from a zip file are not supported: Alembic and
the script loader read real files.
"""

from __future__ import annotations

import functools
from importlib.resources import files
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]  # the repository, when running from one
_PACKAGED = "_data"


@functools.cache
def resource_root() -> Path:
    """The directory that holds ``lua/``, ``migrations/`` and ``alembic.ini``: the installed
    package's ``_data/`` in a wheel install, else the checkout (read once: it does not move)."""
    packaged = Path(str(files("infrastructure") / _PACKAGED))
    if (packaged / "migrations").is_dir():
        return packaged
    if (CHECKOUT / "migrations").is_dir():
        return CHECKOUT
    raise FileNotFoundError(f"neither {packaged} nor {CHECKOUT} holds migrations/: a broken install?")


def lua_dir() -> Path:
    return resource_root() / "lua"


def migrations_dir() -> Path:
    return resource_root() / "migrations"


def alembic_ini() -> Path:
    return resource_root() / "alembic.ini"
