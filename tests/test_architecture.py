"""The packages' layering (docs/architecture.md, "Processes and layering"), read from source.

Every module of the six packages is parsed with ``ast``; every import in it counts, at the
top of the module or inside a function (a lazy import is still a dependency). From them the
package graph is built, and the rules are checked on it:

- only ``bootstrap`` (the composition root) imports ``api``;
- ``domain`` imports nothing of ours but ``domain``;
- the package graph has no cycle;
- each package imports only the packages ``ALLOWED`` names for it;
- only ``bootstrap`` reads the wall clock.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("config", "domain", "projections", "api", "workers", "bootstrap")
#: What each package may import of ours (itself aside).
ALLOWED: Mapping[str, frozenset[str]] = {
    "config": frozenset(),
    "domain": frozenset(),
    "projections": frozenset({"config", "domain"}),
    "api": frozenset({"config", "domain", "projections"}),
    "workers": frozenset({"config", "domain", "projections"}),
    "bootstrap": frozenset({"config", "domain", "projections", "api", "workers"}),
}
#: Calls that read the wall clock (``time.perf_counter`` for durations is not one).
WALL_CLOCK = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
}

Import = tuple[str, int, str]  # (module path, line, imported package)


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(tree: ast.Module, name: str, is_package: bool) -> Iterator[tuple[int, str]]:
    """Every module an import statement anywhere in ``tree`` names, relative ones resolved."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                yield node.lineno, node.module or ""
                continue
            base = name.split(".")
            base = base[: len(base) - node.level + (1 if is_package else 0)]
            yield node.lineno, ".".join([*base, *([node.module] if node.module else [])])


@cache
def imports() -> tuple[Import, ...]:
    """Each import of one of the six packages, with where it is."""
    found: list[Import] = []
    for package in PACKAGES:
        for path in modules(package):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            name = module_name(path)
            for line, target in imported_modules(tree, name, path.name == "__init__.py"):
                top = target.split(".")[0]
                if top in PACKAGES:
                    found.append((str(path.relative_to(ROOT)), line, top))
    return tuple(found)


def package_of(path: str) -> str:
    return Path(path).parts[0]


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {p: set() for p in PACKAGES}
    for path, _, target in imports():
        if target != package_of(path):
            edges[package_of(path)].add(target)
    return edges


def cycle(edges: Mapping[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path that ends where it starts, or None."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        for target in sorted(edges[node]):
            found = visit(target, [*path, node])
            if found:
                return found
        done.add(node)
        return None

    for start in sorted(edges):
        found = visit(start, [])
        if found:
            return found
    return None


def where(package: str, target: str) -> list[str]:
    return [f"{p}:{line}" for p, line, t in imports() if package_of(p) == package and t == target]


def test_every_package_is_found_and_parsed() -> None:
    for package in PACKAGES:
        assert modules(package), f"no modules found in {package}/"
    assert {package_of(p) for p, _, _ in imports()} >= {"api", "workers", "bootstrap"}


def test_only_bootstrap_imports_api() -> None:
    offenders = [
        f"{path}:{line}"
        for path, line, target in imports()
        if target == "api" and package_of(path) not in ("api", "bootstrap")
    ]
    assert not offenders, f"api is imported outside bootstrap/ at {offenders}"


def test_domain_imports_nothing_of_ours_but_domain() -> None:
    offenders = [
        f"{path}:{line} imports {target}"
        for path, line, target in imports()
        if package_of(path) == "domain" and target != "domain"
    ]
    assert not offenders, offenders


def test_the_packages_have_no_import_cycle() -> None:
    found = cycle(graph())
    assert found is None, " -> ".join(found or [])


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_imports_only_the_layers_below(package: str) -> None:
    extra = graph()[package] - ALLOWED[package]
    assert not extra, {target: where(package, target) for target in sorted(extra)}


def test_only_bootstrap_reads_the_wall_clock() -> None:
    reads: list[str] = []
    for package in PACKAGES:
        if package == "bootstrap":
            continue
        for path in modules(package):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name)
                    and (node.func.value.id, node.func.attr) in WALL_CLOCK
                ):
                    reads.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not reads, f"the wall clock is read outside bootstrap/ at {reads}"


def test_the_checks_see_lazy_and_relative_imports() -> None:
    source = (
        "import os\n"
        "from . import sibling\n"
        "from .base import Projection\n"
        "def f():\n"
        "    from api.settings import Settings\n"
        "    import bootstrap.cli\n"
    )
    found = [m for _, m in imported_modules(ast.parse(source), "projections.store", False)]
    assert found == ["os", "projections", "projections.base", "api.settings", "bootstrap.cli"]
    in_package = imported_modules(ast.parse("from .store import x"), "projections", True)
    assert [m for _, m in in_package] == ["projections.store"]
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None
