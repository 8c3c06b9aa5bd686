"""HOLDFAST_OTEL: checked like every setting, optional to install, off by default."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from infrastructure.settings import Settings, SettingsError
from infrastructure.tracing import require_opentelemetry, trace_fields


def test_tracing_is_off_by_default() -> None:
    assert Settings.from_env({}).otel == "off"


@pytest.mark.parametrize("mode", ["console", "otlp"])
def test_tracing_modes_are_read(mode: str) -> None:
    env = {"HOLDFAST_OTEL": mode.upper(), "HOLDFAST_OTEL_ENDPOINT": "http://collector:4318/v1/traces/"}
    settings = Settings.from_env(env)
    assert settings.otel == mode
    assert settings.otel_endpoint == "http://collector:4318/v1/traces"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"HOLDFAST_OTEL": "jaeger"}, "HOLDFAST_OTEL must be one of off, console, otlp"),
        ({"HOLDFAST_OTEL": "otlp"}, "HOLDFAST_OTEL=otlp needs HOLDFAST_OTEL_ENDPOINT"),
        ({"HOLDFAST_OTEL": "otlp", "HOLDFAST_OTEL_ENDPOINT": "collector:4318"}, "HOLDFAST_OTEL_ENDPOINT must be"),
    ],
)
def test_bad_tracing_settings_are_refused_by_name(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        Settings.from_env(env)


def test_tracing_without_its_packages_names_the_missing_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry.sdk.trace", None)  # as if not installed
    with pytest.raises(SettingsError, match=r"HOLDFAST_OTEL=console needs the opentelemetry-sdk package"):
        require_opentelemetry(Settings(otel="console"))


def test_outside_a_span_log_lines_get_no_trace_ids() -> None:
    assert trace_fields() == {}


def test_the_service_starts_without_opentelemetry_when_tracing_is_off(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import sys
        sys.modules["opentelemetry"] = None  # not installed
        from infrastructure.settings import Settings
        from interfaces.http.app import create_app
        create_app(Settings(database_url="sqlite+aiosqlite:///{tmp_path}/x.db", expiry_sweep_seconds=0))
        assert not any(name.startswith("opentelemetry.") for name in sys.modules), "imported anyway"
        print("started")
        """
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=root, env={"PYTHONPATH": f"{root}/src"}
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started"
