"""The services' own architecture rules: no clock read, no adapter imported, short modules, documented API."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from subscription_core import services

SERVICES = Path(services.__file__).resolve().parent
MODULES = sorted(SERVICES.glob("*.py"))
CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"), ("time", "time")}
MAX_LINES = 400


def _tree(module: Path) -> ast.Module:
    return ast.parse(module.read_text(encoding="utf-8"))


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_d2_services_take_time_from_the_clock_port_only(module: Path) -> None:
    calls = set()
    for node in ast.walk(_tree(module)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else ""
            calls.add((name, node.func.attr))
    assert not calls & CLOCK_CALLS


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_services_import_no_adapter_and_stay_short(module: Path) -> None:
    tree = _tree(module)
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in imported if m.split(".")[0] in {"subscription_core_adapters", "adapters", "hypothesis"}}
    assert len(module.read_text(encoding="utf-8").splitlines()) < MAX_LINES


@pytest.mark.parametrize("name", services.__all__)
def test_every_public_use_case_is_documented_with_what_it_raises(name: str) -> None:
    member = getattr(services, name)
    doc = inspect.getdoc(member) or ""
    assert doc
    if inspect.isfunction(member):
        assert "Raises:" in doc
