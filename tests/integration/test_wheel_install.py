"""`pip install .` (a wheel, not an editable install) works away from the checkout: `holdfast
migrate` finds its migration scripts and the redis engine its Lua scripts in the installed
package.

Offline: the wheel is built with the dev venv's build backend (no build isolation), installed
without its dependencies into a fresh venv, and that venv borrows this one's site-packages (a
.pth file) for them. The borrowed directory is not a site directory, so its .pth files (this
checkout's editable install) are not read: the code that runs is the wheel's.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOAD_SCRIPTS = """
import asyncio, sys
import infrastructure
from redis.asyncio import Redis
from infrastructure.inventory.redis_scripts import LuaScripts, find_lua_dir

async def load():
    redis = Redis.from_url(sys.argv[1])
    try:
        await LuaScripts().load(redis)
    finally:
        await redis.aclose()

asyncio.run(load())
print(infrastructure.__file__)
print(find_lua_dir())
"""


def _run(
    command: list[str | Path], env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel built from this checkout installed in it; its bin/."""
    where = tmp_path_factory.mktemp("wheel")
    pip = [sys.executable, "-m", "pip"]
    _run([*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", where / "dist", ROOT])
    (wheel,) = (where / "dist").glob("holdfast-*.whl")
    venv = where / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    (site,) = venv.glob("lib/python*/site-packages")
    (site / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    python = venv / "bin" / "python"
    _run([python, "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed", "-q", wheel])
    return venv / "bin"


def _clean_env(**settings: str) -> dict[str, str]:
    """No PYTHONPATH (it would put the checkout's src/ first) and no HOLDFAST_* from outside."""
    kept = {name: value for name, value in os.environ.items() if name in ("PATH", "HOME", "LANG", "TMPDIR")}
    return {**kept, **settings}


def test_the_installed_wheel_migrates_a_database(installed: Path, tmp_path: Path) -> None:
    env = _clean_env(HOLDFAST_DATABASE_URL=f"sqlite:///{tmp_path / 'var' / 'holdfast.db'}")
    migrated = _run([installed / "holdfast", "migrate"], env=env, cwd=tmp_path)
    assert migrated.stdout == "database at head\n"
    version = _run([installed / "holdfast", "--version"], env=env, cwd=tmp_path)
    assert "migrations head 0" in version.stdout
    down = _run([installed / "holdfast", "downgrade", "base"], env=env, cwd=tmp_path)
    assert down.stdout == "database at base (no schema)\n"


def test_the_installed_wheel_loads_its_lua_scripts(installed: Path, tmp_path: Path, redis_url: str) -> None:
    loaded = _run([installed / "python", "-c", LOAD_SCRIPTS, redis_url], env=_clean_env(), cwd=tmp_path)
    package, lua = loaded.stdout.splitlines()
    venv = installed.parent
    assert Path(package).is_relative_to(venv), package  # the wheel's code, not the checkout's
    assert Path(lua).is_relative_to(venv), lua
