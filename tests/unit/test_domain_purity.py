"""The domain imports only the standard library (import-linter checks layers; this checks the rest)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import domain

DOMAIN = Path(domain.__file__).parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_domain_uses_only_the_standard_library_and_itself() -> None:
    allowed = set(sys.stdlib_module_names) | {"domain", "__future__"}
    offenders = {
        str(path.relative_to(DOMAIN)): sorted(_imports(path) - allowed) for path in sorted(DOMAIN.rglob("*.py"))
    }
    assert {path: names for path, names in offenders.items() if names} == {}
