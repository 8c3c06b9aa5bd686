"""The README's curl walkthrough, run as written against the app on the embedded default.

Each command of the walkthrough's code blocks is parsed as the shell would (``shlex``), its
``$VARIABLES`` substituted, and sent through the ASGI client; the comment after it is the status
it must answer, and ``VAR=$(curl ... | jq -r PATH)`` keeps ``PATH`` of the answer in ``VAR``.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.bookings import BOOKING_TRANSITIONS
from infrastructure.container import build_container, close_container
from infrastructure.persistence.cloudevents import known_event_types
from infrastructure.settings import Settings
from interfaces.demo import load_demo
from interfaces.http.app import create_app

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## Walkthrough"
CAPTURE = re.compile(r"^(?P<var>[A-Z_]+)=\$\((?P<command>.*)\)$", re.S)
VARIABLE = re.compile(r"\$\{?([A-Z_]+)\}?")


@dataclass
class Curl:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None


@dataclass(frozen=True)
class Step:
    line: str
    words: list[str]  # the curl words, unexpanded
    status: int | None
    keep: tuple[str, str] | None  # (variable, jq path)


def _commands(text: str) -> list[str]:
    """The indented code lines of ``text``, continuation lines joined."""
    commands, current = [], ""
    for line in text.splitlines():
        if not line.startswith("    "):
            continue
        current += line.strip()
        if current.endswith("\\"):
            current = current[:-1] + " "
            continue
        commands.append(current)
        current = ""
    return commands


def _walkthrough() -> str:
    text = README.read_text()
    start = text.index(SECTION)
    end = text.index("\n## ", start + len(SECTION))
    return text[start:end]


def _step(line: str) -> Step:
    code, _, comment = line.partition("  # ")
    status = re.match(r"\d{3}", comment)
    keep = None
    if (captured := CAPTURE.match(code.strip())) is not None:
        command, _, jq = captured["command"].rpartition("|")
        *_, path = shlex.split(jq)
        assert shlex.split(jq)[:2] == ["jq", "-r"], line
        keep, code = (captured["var"], path), command
    return Step(line, shlex.split(code), int(status.group()) if status else None, keep)


def _curl(words: list[str], env: dict[str, str]) -> Curl:
    assert words[0] == "curl", words
    expand = [VARIABLE.sub(lambda m: env[m.group(1)], word) for word in words[1:]]
    curl, rest = Curl("GET", ""), iter(expand)
    for word in rest:
        if word == "-X":
            curl.method = next(rest)
        elif word == "-H":
            name, _, value = next(rest).partition(":")
            curl.headers[name.strip()] = value.strip()
        elif word == "-d":
            curl.body = next(rest)
            curl.method = "POST" if curl.method == "GET" else curl.method
        elif word.startswith("http"):
            curl.url = word
        else:
            assert word == "-s", f"an option this test does not know: {word}"
    return curl


def _jq(document: Any, path: str) -> str:
    """``jq -r`` of a path such as ``.id`` or ``.pools[0].pool_id``."""
    for name, index in re.findall(r"\.(\w+)(?:\[(\d+)\])?", path.strip("'")):
        document = document[name]
        if index:
            document = document[int(index)]
    return str(document)


@pytest.fixture
async def client(sqlite_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """``make run``: the embedded default from the environment, with the demo data."""
    settings = Settings.from_env({"HOLDFAST_DATABASE_URL": sqlite_url})
    container = build_container(settings)
    await load_demo(container)
    transport = httpx.ASGITransport(app=create_app(settings, container))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
        try:
            yield http
        finally:
            await close_container(container)


def test_every_curl_in_the_readme_shows_its_body_and_content_type() -> None:
    curls = [_step(line) for line in _commands(README.read_text()) if "curl " in line]
    assert len(curls) >= 15
    for step in curls:
        env = {name: "http://127.0.0.1:8000" if name == "HF" else name for name in VARIABLE.findall(step.line)}
        curl = _curl(step.words, env)
        if curl.method in ("POST", "PATCH", "PUT"):
            assert curl.body is not None, step.line
            assert curl.headers.get("Content-Type") == "application/json", step.line
            json.loads(curl.body)


async def test_the_walkthrough_works_as_written(client: httpx.AsyncClient) -> None:
    env: dict[str, str] = {}
    steps = 0
    for line in _commands(_walkthrough()):
        step = _step(line)
        if step.words[0] == "export":
            env.update(word.split("=", 1) for word in step.words[1:])  # type: ignore[misc]
            continue
        curl = _curl(step.words, env)
        body = curl.body.encode() if curl.body is not None else None
        response = await client.request(curl.method, curl.url, headers=curl.headers, content=body)
        assert step.status is not None, f"no status documented for: {line}"
        assert response.status_code == step.status, f"{line}\n{response.text}"
        if step.keep is not None:
            name, path = step.keep
            env[name] = _jq(response.json(), path)
        steps += 1
    assert steps >= 14
    assert set(env) >= {"LISTING", "POOL", "HOLD", "BOOKING", "ENDPOINT"}


def test_the_readme_lists_every_webhook_event_type_and_the_booking_states() -> None:
    text = README.read_text()
    listed = set(re.findall(r"^\| `(holdfast\.[a-z_.]+\.v1)` \|", text, re.M))
    assert listed == known_event_types()
    rows = dict(re.findall(r"^\| `([a-z_]+)` \| [^|]+ \| ([^|]+) \|$", text, re.M))
    for status, targets in BOOKING_TRANSITIONS.items():
        assert set(re.findall(r"`([a-z_]+)`", rows[status.value])) == {target.value for target in targets}
