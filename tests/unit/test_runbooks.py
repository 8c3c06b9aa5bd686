"""The runbooks name only commands and routes that exist: a runbook read during an incident must
not send anyone to a command or an endpoint that was renamed, or never built."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from infrastructure.settings import Settings
from interfaces.cli import main
from interfaces.http.app import create_app

ROOT = Path(__file__).resolve().parents[2]
RUNBOOKS = sorted((ROOT / "ops" / "runbooks").glob("*.md"))
# Lower-case `holdfast` followed by a word is a command; prose writes "Holdfast".
COMMAND = re.compile(r"\bholdfast[ \t]+([a-z][a-z0-9-]*)((?:[ \t]+(?:--[a-z][a-z0-9-]*|[^\s`-][^\s`]*))*)")
PATH = re.compile(r"(?:\b(GET|POST|PUT|PATCH|DELETE)\s+)?(/(?:v1|health)/[A-Za-z0-9_{}/.:?=&$-]*)")
PARAM = re.compile(r"\{[^}]*\}|<[^>]*>")


def _normalised(path: str) -> str:
    """Parameters compared by position only: runbooks write {id} where the template says {listing_id:uuid}."""
    path = path.split("?", 1)[0].rstrip(".,:;")
    return PARAM.sub("{}", path).rstrip("/") or "/"


def _routes(tmp_path: Path) -> dict[str, set[str]]:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db", expiry_sweep_seconds=0)
    routes: dict[str, set[str]] = {}
    for route in create_app(settings).routes:
        routes.setdefault(_normalised(route.path), set()).update(getattr(route, "methods", ()))
    return routes


def _text() -> dict[str, str]:
    return {path.name: path.read_text() for path in RUNBOOKS}


def test_there_is_an_index_and_it_links_every_runbook() -> None:
    index = (ROOT / "ops" / "runbooks" / "README.md").read_text()
    for path in RUNBOOKS:
        if path.name != "README.md":
            assert f"({path.name})" in index, f"{path.name} is not linked from the index"


def test_links_between_runbooks_resolve() -> None:
    for name, text in _text().items():
        for target in re.findall(r"\]\(([^)#:]+\.md)\)", text):
            assert (ROOT / "ops" / "runbooks" / target).is_file(), f"{name} links to missing {target}"


@pytest.mark.parametrize("runbook", RUNBOOKS, ids=lambda path: path.name)
def test_every_holdfast_command_exists(runbook: Path) -> None:
    for name, rest in COMMAND.findall(runbook.read_text()):
        command = main.commands.get(name)
        assert isinstance(command, click.Command), f"{runbook.name}: `holdfast {name}` is not a command"
        if isinstance(command, click.Group) and rest.strip():  # `holdfast jobs replay ID`: subcommand, options
            sub, _, rest = rest.strip().partition(" ")
            assert sub in command.commands, f"{runbook.name}: `holdfast {name} {sub}` is not a command"
            command = command.commands[sub]
        options = {option for param in command.params for option in getattr(param, "opts", ())}
        for flag in re.findall(r"--[a-z][a-z0-9-]*", rest):
            assert flag in options, f"{runbook.name}: `holdfast {name}` has no option {flag}"


def test_the_runbooks_use_the_commands_the_situations_need() -> None:
    used = {name for text in _text().values() for name, _rest in COMMAND.findall(text)}
    assert {"migrate", "downgrade", "expire-holds"} <= used


@pytest.mark.parametrize("runbook", RUNBOOKS, ids=lambda path: path.name)
def test_every_path_is_a_route_of_the_app(runbook: Path, tmp_path: Path) -> None:
    routes = _routes(tmp_path)
    for method, path in PATH.findall(runbook.read_text()):
        normalised = _normalised(path)
        assert normalised in routes, f"{runbook.name}: {path} is not a route; known: {sorted(routes)}"
        if method:
            assert method in routes[normalised], f"{runbook.name}: {method} {path} is not allowed"


def test_the_runbooks_mention_paths_at_all() -> None:
    found = {path for text in _text().values() for _method, path in PATH.findall(text)}
    assert any(path.startswith("/v1/ops/webhooks") for path in found)
    assert any(path.startswith("/health/") for path in found)
