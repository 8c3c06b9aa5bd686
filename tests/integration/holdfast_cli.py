"""The real `holdfast` command in a child process, run from this checkout's src/, on a SQLite
file of the test's own (in a var/ folder that does not exist yet, as on a fresh clone)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HOLDFAST = [sys.executable, "-m", "interfaces.cli"]
ROOT = Path(__file__).resolve().parents[2]


def cli_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "HOLDFAST_DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'holdfast.db'}",
        **settings,
    }


def holdfast(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HOLDFAST, *args], env=env, capture_output=True, text=True, timeout=120, check=False)
