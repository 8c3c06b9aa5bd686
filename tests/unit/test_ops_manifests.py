"""The deployment files in ops/ agree with the code they deploy. Docker and Kubernetes are not run
here, so what can drift is checked instead: every `holdfast` command they name exists, every
HOLDFAST_* variable they set is one the settings read (and its value passes them), every probe
is /health/live or /health/ready and the app serves it, and every port lines up. The job worker
runs `holdfast worker`, and every API and worker process uses the same job queue."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import pytest
import yaml

from infrastructure import settings as settings_module
from infrastructure.settings import Settings
from interfaces.cli import main as holdfast_cli
from interfaces.http.app import create_app

OPS = Path(__file__).resolve().parents[2] / "ops"
PROBES = {"/health/live", "/health/ready"}


# What an operator exports before `docker compose up` (the file requires them: ${NAME:?why}).
COMPOSE_EXPORTS = {
    "HOLDFAST_STRIPE_API_KEY": "sk_test_example",
    "HOLDFAST_STRIPE_WEBHOOK_SECRET": "whsec_example",
    "HOLDFAST_QUEUE_PASS_SECRET": "queue-pass-example-0123456789abcdef",
    "HOLDFAST_JWT_KEYS": "k1:" + "x" * 44,
}


def _compose() -> dict[str, Any]:
    """The compose file as docker compose reads it, with COMPOSE_EXPORTS exported."""
    text = (OPS / "docker-compose.yml").read_text()
    return yaml.safe_load(re.sub(r"\$\{(\w+):\?[^}]*\}", lambda found: COMPOSE_EXPORTS[found.group(1)], text))


def _k8s_key(obj: dict[str, Any]) -> str:
    """An object's kind; the job worker's Deployment is "Deployment worker" (the API's is "Deployment")."""
    component = obj["metadata"].get("labels", {}).get("app.kubernetes.io/component")
    return f"{obj['kind']} worker" if obj["kind"] == "Deployment" and component == "worker" else obj["kind"]


def _k8s() -> dict[str, dict[str, Any]]:
    """Every Kubernetes object in ops/k8s, by kind (see _k8s_key)."""
    objects = [doc for path in sorted((OPS / "k8s").glob("*.yaml")) for doc in yaml.safe_load_all(path.read_text())]
    by_kind = {_k8s_key(obj): obj for obj in objects if obj}
    assert len(by_kind) == len([obj for obj in objects if obj]), "one object of each kind expected"
    return by_kind


def _nginx() -> str:
    return (OPS / "nginx.conf").read_text()


def _dockerfile() -> str:
    return (OPS / "Dockerfile").read_text()


def _dockerfile_env() -> dict[str, str]:
    return dict(re.findall(r"\b(HOLDFAST_[A-Z_]+)=(\S+)", _dockerfile()))


def _holdfast_services() -> dict[str, dict[str, Any]]:
    return {name: svc for name, svc in _compose()["services"].items() if svc.get("image", "").startswith("holdfast")}


def _api_container() -> dict[str, Any]:
    containers = _k8s()["Deployment"]["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def _lists(node: Any) -> Iterator[list[Any]]:
    if isinstance(node, list):
        yield node
        for item in node:
            yield from _lists(item)
    elif isinstance(node, dict):
        for value in node.values():
            yield from _lists(value)


def _named_commands() -> list[tuple[str, str]]:
    """(where, subcommand) for every `holdfast <subcommand>` in the compose file, the Kubernetes
    objects, the Dockerfile and the local stack scripts."""
    found = [("docker-compose.yml", cmd[1]) for cmd in _lists(_compose()) if cmd[:1] == ["holdfast"]]
    found += [(kind, cmd[1]) for kind, obj in _k8s().items() for cmd in _lists(obj) if cmd[:1] == ["holdfast"]]
    for line in re.findall(r"^CMD (\[.*\])$", _dockerfile(), flags=re.MULTILINE):
        found.append(("Dockerfile", json.loads(line)[1]))
    for script in sorted((OPS / "local-stack").glob("*.sh")):
        found += [(script.name, sub) for sub in re.findall(r'"\$HOLDFAST" ([a-z][a-z-]*)', script.read_text())]
    return found


def _settings_read() -> set[str]:
    """The names Settings.from_env reads, from its source: one `env.<kind>("NAME", ...)` each."""
    source = Path(settings_module.__file__).read_text()
    names = {f"HOLDFAST_{name}" for name in re.findall(r'\benv\.\w+\(\s*"([A-Z_]+)"', source)}
    assert len(names) == len(dataclasses.fields(Settings)), "one variable per setting: the pattern missed one"
    return names


def _k8s_env() -> dict[str, str]:
    objects = _k8s()
    return {**objects["ConfigMap"]["data"], **objects["Secret"]["stringData"]}


def _holdfast_names(environment: dict[str, Any]) -> set[str]:
    return {name for name in environment if name.startswith("HOLDFAST")}


def test_every_command_named_is_a_holdfast_command() -> None:
    named = _named_commands()
    assert {"serve", "migrate"} <= {sub for _, sub in named}
    unknown = [(where, sub) for where, sub in named if sub not in holdfast_cli.commands]
    assert unknown == []


def test_every_holdfast_variable_set_is_a_setting() -> None:
    known = _settings_read()
    sources = {name: svc["environment"] for name, svc in _holdfast_services().items()}
    sources |= {"k8s": _k8s_env(), "Dockerfile": _dockerfile_env()}
    for kind in ("Deployment", "Deployment worker", "Job"):
        for container in _k8s()[kind]["spec"]["template"]["spec"]["containers"]:
            sources[f"{kind} {container['name']}"] = {var["name"]: var.get("value") for var in container.get("env", [])}
    for where, environment in sources.items():
        assert _holdfast_names(environment) <= known, f"{where} sets {_holdfast_names(environment) - known}"


@pytest.mark.parametrize("where", ["compose", "k8s"])
def test_the_settings_accept_the_values_given(where: str) -> None:
    environment = _k8s_env() if where == "k8s" else _holdfast_services()["api-1"]["environment"]
    settings = Settings.from_env({name: str(value) for name, value in environment.items()})
    assert settings.environment == "production"
    assert settings.inventory_engine == "redis"
    assert settings.database_url.startswith("postgresql+asyncpg://")
    assert settings.host == "0.0.0.0"


def test_the_image_serves_on_all_interfaces_from_a_wheel_install() -> None:
    dockerfile = _dockerfile()
    assert re.search(r"^FROM python:3\.11-slim$", dockerfile, flags=re.MULTILINE)
    assert _dockerfile_env()["HOLDFAST_HOST"] == "0.0.0.0"
    # The wheel carries migrations/ and lua/ (tests/integration/test_wheel_install.py): a plain install.
    assert re.search(r"pip install '?\.", dockerfile)
    for needed in ("alembic.ini", "src", "migrations", "lua"):
        assert re.search(rf"^COPY .*\b{re.escape(needed)}\b", dockerfile, flags=re.MULTILINE), needed


def _compose_probe_urls() -> dict[str, str]:
    urls = {}
    for name, service in _compose()["services"].items():
        if "healthcheck" in service:
            found = re.findall(r"http://[^\s'\"]+", " ".join(service["healthcheck"]["test"]))
            urls |= {name: found[0]} if found else {}
    return urls


def test_probes_are_the_health_routes_the_app_serves(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'holdfast.db'}", expiry_sweep_seconds=0))
    served = {route.path for route in app.routes}
    assert served >= PROBES
    container = _api_container()
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    urls = _compose_probe_urls()
    assert urlsplit(urls["api-1"]).path == urlsplit(urls["api-2"]).path == "/health/ready"
    assert urlsplit(urls["nginx"]).path == "/health/live"


def test_ports_line_up_in_compose_and_nginx() -> None:
    services = _compose()["services"]
    api_port = {int(services[name]["environment"]["HOLDFAST_PORT"]) for name in ("api-1", "api-2")}
    assert api_port == {int(_dockerfile_env()["HOLDFAST_PORT"])}
    assert re.findall(r"^EXPOSE (\d+)$", _dockerfile(), flags=re.MULTILINE) == [str(*api_port)]
    upstream = re.findall(r"^\s*server ([\w-]+):(\d+)", _nginx(), flags=re.MULTILINE)
    assert sorted(upstream) == [("api-1", str(*api_port)), ("api-2", str(*api_port))]
    urls = _compose_probe_urls()
    assert {urlsplit(urls["api-1"]).port, urlsplit(urls["api-2"]).port} == api_port
    listen = re.findall(r"^\s*listen (\d+);", _nginx(), flags=re.MULTILINE)
    published = [mapping.split(":")[-1] for mapping in services["nginx"]["ports"]]
    assert listen == published == [str(urlsplit(urls["nginx"]).port)]


def test_ports_line_up_in_kubernetes() -> None:
    objects, container = _k8s(), _api_container()
    port = int(objects["ConfigMap"]["data"]["HOLDFAST_PORT"])
    named = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert named == {"http": port}

    def resolve(value: int | str) -> int:
        return named[value] if isinstance(value, str) else value

    assert resolve(container["livenessProbe"]["httpGet"]["port"]) == port
    assert resolve(container["readinessProbe"]["httpGet"]["port"]) == port
    assert [resolve(p["targetPort"]) for p in objects["Service"]["spec"]["ports"]] == [port]
    labels = objects["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert objects["Service"]["spec"]["selector"].items() <= labels.items()
    assert objects["Deployment"]["spec"]["selector"]["matchLabels"].items() <= labels.items()


def test_the_api_and_the_job_read_the_same_settings() -> None:
    def sources(kind: str) -> list[dict[str, Any]]:
        return _k8s()[kind]["spec"]["template"]["spec"]["containers"][0]["envFrom"]

    names = {"ConfigMap": _k8s()["ConfigMap"]["metadata"]["name"], "Secret": _k8s()["Secret"]["metadata"]["name"]}
    expected = [{"configMapRef": {"name": names["ConfigMap"]}}, {"secretRef": {"name": names["Secret"]}}]
    assert sources("Deployment") == sources("Job") == expected


def test_the_replicas_start_after_the_migration() -> None:
    services = _compose()["services"]
    assert services["migrate"]["command"] == ["holdfast", "migrate"]
    for name in ("api-1", "api-2", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert {name: dep["condition"] for name, dep in services["worker"]["depends_on"].items() if name != "migrate"} == {
        "postgres": "service_healthy",
        "redis": "service_healthy",
    }


def _worker_container() -> dict[str, Any]:
    containers = _k8s()["Deployment worker"]["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def _k8s_settings(container: dict[str, Any]) -> Settings:
    """What a container of ours reads: the ConfigMap and the Secret, then its own env."""
    own = {var["name"]: var["value"] for var in container.get("env", [])}
    return Settings.from_env({**_k8s_env(), **own})


def test_the_worker_runs_the_worker_command() -> None:
    assert isinstance(holdfast_cli.commands.get("worker"), click.Command)
    assert _compose()["services"]["worker"]["command"] == ["holdfast", "worker"]
    assert _worker_container()["command"] == ["holdfast", "worker"]
    stack = (OPS / "local-stack" / "up.sh").read_text()
    assert re.search(r'"\$HOLDFAST" worker\b', stack), "ops/local-stack starts no worker"
    assert _worker_container()["envFrom"] == _api_container()["envFrom"]  # the same ConfigMap and Secret


def test_every_api_and_worker_process_uses_the_saq_queue() -> None:
    """An API on the in-process queue runs its own copy of every cron job, and a worker refuses
    to start without saq: the APIs and the workers must agree on HOLDFAST_JOBS."""
    services = _compose()["services"]
    for name in ("api-1", "api-2", "worker"):
        environment = {key: str(value) for key, value in services[name]["environment"].items()}
        assert Settings.from_env(environment).jobs == "saq", name
    for container in (_api_container(), _worker_container()):
        assert _k8s_settings(container).jobs == "saq", container["name"]
    stack = (OPS / "local-stack" / "common.sh").read_text()
    assert re.findall(r"^\s*export HOLDFAST_JOBS=(\S+)$", stack, flags=re.MULTILINE) == ["saq"]


def test_the_worker_is_probed_on_its_metrics_port() -> None:
    worker = _compose()["services"]["worker"]
    port = Settings.from_env({key: str(value) for key, value in worker["environment"].items()}).worker_metrics_port
    assert port > 0
    assert urlsplit(_compose_probe_urls()["worker"]).port == port
    assert urlsplit(_compose_probe_urls()["worker"]).path == "/metrics"
    container = _worker_container()
    port = _k8s_settings(container).worker_metrics_port
    named = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert named == {"metrics": port}
    probe = container["livenessProbe"]["httpGet"]
    assert probe["path"] == "/metrics"
    assert named.get(probe["port"], probe["port"]) == port


def test_no_service_or_api_deployment_selects_the_worker_pods() -> None:
    objects = _k8s()
    worker = objects["Deployment worker"]
    labels = worker["spec"]["template"]["metadata"]["labels"]
    assert worker["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert not objects["Service"]["spec"]["selector"].items() <= labels.items()
    assert not objects["Deployment"]["spec"]["selector"]["matchLabels"].items() <= labels.items()


def _seconds(duration: str) -> int:
    """A compose duration ("30s", "1m") in seconds."""
    number, unit = re.fullmatch(r"(\d+)([sm])", duration).groups()  # type: ignore[union-attr]
    return int(number) * (60 if unit == "m" else 1)


def _api_container_env() -> dict[str, str]:
    return {var["name"]: var["value"] for var in _api_container().get("env", [])}


def test_each_api_process_runs_a_set_number_of_workers() -> None:
    # Unset, HOLDFAST_WORKERS is every core the process sees: in a container without a cpuset
    # that is the whole host's, each worker with its own database pool.
    compose_env = _holdfast_services()["api-1"]["environment"]
    k8s_env = {**_k8s_env(), **_api_container_env()}
    for environment in (compose_env, k8s_env):
        settings = Settings.from_env({name: str(value) for name, value in environment.items()})
        assert settings.workers == int(environment["HOLDFAST_WORKERS"]) > 1
    # In Kubernetes, one worker per requested core, and per pod the connections of one process before.
    requested = _api_container()["resources"]["requests"]["cpu"]
    assert int(k8s_env["HOLDFAST_WORKERS"]) == int(requested)
    assert int(k8s_env["HOLDFAST_WORKERS"]) * int(k8s_env["HOLDFAST_DB_POOL_SIZE"]) <= 20


def test_the_local_stack_serves_one_worker_per_port_unless_told() -> None:
    common = (OPS / "local-stack" / "common.sh").read_text()
    assert re.search(r'^\s*export HOLDFAST_WORKERS="\$\{HOLDFAST_WORKERS:-1\}"$', common, flags=re.MULTILINE)


def test_requests_in_flight_get_their_grace_before_any_kill() -> None:
    from interfaces.http.server import SHUTDOWN_GRACE_SECONDS

    pod = _k8s()["Deployment"]["spec"]["template"]["spec"]
    assert pod["terminationGracePeriodSeconds"] > SHUTDOWN_GRACE_SECONDS
    for name in ("api-1", "api-2"):
        assert _seconds(_compose()["services"][name]["stop_grace_period"]) > SHUTDOWN_GRACE_SECONDS
    common = (OPS / "local-stack" / "common.sh").read_text()
    stop_timeout = re.search(r'STOP_TIMEOUT="\$\{STACK_STOP_TIMEOUT:-(\d+)\}"', common)
    assert stop_timeout is not None
    assert int(stop_timeout.group(1)) > SHUTDOWN_GRACE_SECONDS


def test_the_local_stacks_environment_is_enough_for_the_cli(tmp_path: Path) -> None:
    """``eval "$(ops/local-stack/status.sh --env)"`` then any ``holdfast`` command (README): the
    exported settings must pass production's start-up checks, every secret included."""
    script = OPS / "local-stack" / "status.sh"
    printed = subprocess.run(
        ["bash", str(script), "--env"],
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), "HOLDFAST_STACK_DIR": str(tmp_path / "stack")},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    exported = dict(shlex.split(line.removeprefix("export "))[0].split("=", 1) for line in printed.splitlines())
    assert exported["HOLDFAST_ENV"] == "production"
    Settings.from_env(exported)  # raises SettingsError naming a missing or weak setting
