"""What `make run` and `make test` install on a fresh machine, read from make's own dry run
(`make -n`, which prints the commands a target would run without running them): the service
needs only its own dependencies; the development tools are for the tests, lint and benchmarks."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _dry_run(target: str, venv: Path) -> list[str]:
    done = subprocess.run(
        ["make", "-n", "-C", str(ROOT), f"VENV={venv}", target], capture_output=True, text=True, check=True
    )
    return done.stdout.splitlines()


def _installs(lines: list[str], venv: Path) -> list[str]:
    return [line.removeprefix(f"{venv}/bin/pip install -q ") for line in lines if "pip install" in line]


@pytest.mark.parametrize("target", ["run", "worker"])
def test_the_service_installs_only_its_own_dependencies(target: str, tmp_path: Path) -> None:
    lines = _dry_run(target, tmp_path / "venv")
    assert _installs(lines, tmp_path / "venv") == ["-e ."]
    assert f"{tmp_path / 'venv'}/bin/holdfast {'serve' if target == 'run' else 'worker'}" in lines


@pytest.mark.parametrize("target", ["test", "lint", "test-fast"])
def test_the_tests_install_the_development_tools(target: str, tmp_path: Path) -> None:
    lines = _dry_run(target, tmp_path / "venv")
    assert _installs(lines, tmp_path / "venv") == ["-e .", "-e '.[dev]'"]
