"""domain/ imports no web, database or logging framework and never reads the clock."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "domain"
FORBIDDEN_MODULES = (
    "fastapi",
    "starlette",
    "psycopg",
    "psycopg_pool",
    "structlog",
    "logging",
    "sqlite3",
    "uvicorn",
    "random",
    "secrets",
    "time",
)
CLOCK_CALLS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("uuid", "uuid4"),
}


def _modules() -> list[Path]:
    return sorted(DOMAIN.rglob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.name)
def test_domain_module_imports_no_framework(path: Path) -> None:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            assert name.split(".")[0] not in FORBIDDEN_MODULES, f"{path.name} imports {name}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.name)
def test_domain_module_never_reads_the_clock(path: Path) -> None:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            if isinstance(owner, ast.Name):
                call = (owner.id, node.func.attr)
                assert call not in CLOCK_CALLS, f"{path.name}:{node.lineno} calls {call}"
