"""The core's architecture rules that the import contract cannot see."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "src" / "subscription_core"
MODULES = sorted(CORE.glob("*.py"))
# Reading the clock is the Clock port's job: the core takes time from its caller.
CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"), ("time", "time")}


def calls_in(module: Path) -> set[tuple[str, str]]:
    found = set()
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else ""
            found.add((name, node.func.attr))
    return found


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_core_never_reads_the_clock(module: Path) -> None:
    assert not calls_in(module) & CLOCK_CALLS


@pytest.mark.parametrize("module", [m for m in MODULES if m.name != "testing.py"], ids=lambda p: p.name)
def test_core_modules_do_not_import_the_test_strategies(module: Path) -> None:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in imported if m.startswith(("subscription_core.testing", "hypothesis"))}


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_domain_modules_do_not_import_the_services(module: Path) -> None:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    assert not {m for m in imported if m.startswith("subscription_core.services")}
    assert "services" not in names
