"""The distribution as a host installs it: a wheel that owns no name a host could own, and works from site-packages.

The wheel test builds the wheel from a copy of the project, installs it (not editable) into a fresh virtual
environment beside a host's own package named ``adapters`` (with its own logger), and runs there what a host
runs: both imports, the migrations from the installed package, a quote. Each step is bounded in time; the
dependencies come from the package index pip is configured with (its cache, PyPI).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {"subscription_core": "subscription_core", "adapters": "subscription_core_adapters"}
"""Each folder under src/ and the import name it installs as."""
STEP_SECONDS = 240

HOST_PACKAGE = {
    "pyproject.toml": (
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "host-app"\nversion = "1.0"\n\n[tool.setuptools]\npackages = ["adapters"]\n'
    ),
    "adapters/__init__.py": 'import logging\n\nOWNER = "host"\nlogger = logging.getLogger(__name__)\n',
    "adapters/bootstrap.py": 'import logging\n\nlogger = logging.getLogger(__name__)\nWIRED = "the host\'s own"\n',
}

# Run inside the fresh environment, from a folder of its own (nothing of the checkout on sys.path).
HOST_SCRIPT = """
import datetime as dt, importlib, json, logging, pkgutil, sys
import adapters, adapters.bootstrap
import subscription_core, subscription_core_adapters
from subscription_core import PlanSelection, load_catalog, quote
from subscription_core_adapters.sql import current, offline_sql, sqlite_engine, upgrade
from subscription_core_adapters.sql.migrating import MIGRATIONS

for module in pkgutil.walk_packages(subscription_core_adapters.__path__, "subscription_core_adapters."):
    if not module.name.endswith(".migrations.env"):  # run by Alembic only
        importlib.import_module(module.name)
engine = sqlite_engine(sys.argv[1], migrate=False)
before = current(engine)
upgrade(engine)
after = current(engine)
engine.dispose()
catalog = load_catalog(sys.argv[2])
priced = quote(catalog, [PlanSelection(plan="amis-professional", option="1y")], as_of=dt.date(2026, 11, 23))
print(json.dumps({
    "host": [adapters.OWNER, adapters.bootstrap.WIRED, adapters.__file__],
    "library": [subscription_core.__file__, subscription_core_adapters.__file__],
    "adapters_loggers": sorted(n for n in logging.root.manager.loggerDict if n.split(".")[0] == "adapters"),
    "revisions": [before, after],
    "offline_in_billing": 'SET search_path TO "billing"' in offline_sql("postgresql", schema="billing"),
    "grand_total": str(priced.grand_total),
    "ini": str(MIGRATIONS / "alembic.ini"),
}))
"""


def run(*command: str | Path, cwd: Path) -> str:
    """Run a step in a process of its own, bounded in time; its output, or a failure showing its errors."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [str(part) for part in command], cwd=cwd, capture_output=True, text=True, timeout=STEP_SECONDS, check=False
    )
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def build_wheel(tmp_path: Path) -> Path:
    """The wheel of a copy of the project (the build writes into its source folder: not the checkout's)."""
    source = tmp_path / "project"
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--quiet",
        "--wheel-dir",
        tmp_path / "dist",
        source,
        cwd=tmp_path,
    )
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    return wheel


def test_the_wheel_installs_beside_a_host_package_named_adapters(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path)
    names = zipfile.ZipFile(wheel).namelist()
    assert {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")} == set(
        FOLDERS.values()
    )
    assert "subscription_core_adapters/sql/migrations/env.py" in names
    assert "subscription_core_adapters/sql/migrations/alembic.ini" in names
    host = tmp_path / "host"
    for name, text in HOST_PACKAGE.items():
        (host / name).parent.mkdir(parents=True, exist_ok=True)
        (host / name).write_text(text)
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    run(python, "-m", "pip", "install", "--quiet", f"{wheel}[sql,qr,cli]", host, cwd=tmp_path)
    run(python, "-m", "pip", "check", cwd=tmp_path)
    shutil.copy(ROOT / "examples" / "catalogs" / "amis_vn.toml", tmp_path / "catalog.toml")
    (tmp_path / "host_app.py").write_text(HOST_SCRIPT)
    found = json.loads(run(python, "host_app.py", tmp_path / "store.db", tmp_path / "catalog.toml", cwd=tmp_path))

    site = str(venv)
    assert found["host"][:2] == ["host", "the host's own"]
    assert all(path.startswith(site) and "site-packages" in path for path in [found["host"][2], *found["library"]])
    assert found["adapters_loggers"] == ["adapters", "adapters.bootstrap"]  # the host's only
    assert found["revisions"][0] is None
    assert found["revisions"][1] == max(name.split("/")[-1][:4] for name in names if "/versions/0" in name)
    assert found["offline_in_billing"] is True
    assert found["grand_total"] == "12,000,000 VND"
    # The alembic command, on the ini file shipped inside the installed package.
    alembic = (python, "-m", "alembic", "-c", found["ini"])
    printed = run(*alembic, "-x", "url=postgresql://", "-x", "schema=billing", "upgrade", "head", "--sql", cwd=tmp_path)
    assert 'SET search_path TO "billing"' in printed
    assert "CREATE TABLE billing.subscription_core_version" in printed
    assert found["revisions"][1] in run(
        *alembic, "-x", f"url=sqlite:///{tmp_path / 'store.db'}", "current", cwd=tmp_path
    )
    # The console script of the cli extra, installed beside the interpreter, migrates a file of its own.
    assert "migrated from an empty database" in run(
        venv / "bin" / "subscription-core", "migrate", "--database", tmp_path / "cli.db", cwd=tmp_path
    )
    # Uninstalling the host leaves the library whole (the two never shared a folder).
    run(python, "-m", "pip", "uninstall", "--yes", "--quiet", "host-app", cwd=tmp_path)
    run(python, "-c", "import subscription_core_adapters.sql.migrating", cwd=tmp_path)


def test_every_package_folder_is_listed_in_pyproject() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = set()
    for init in (ROOT / "src").rglob("__init__.py"):
        folder, *rest = init.parent.relative_to(ROOT / "src").parts
        found.add(".".join([FOLDERS[folder], *rest]))
    assert "subscription_core_adapters.sql.migrations.versions" in found
    assert found == listed
