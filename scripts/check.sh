#!/usr/bin/env bash
# Install what the tests need into .venv and run every check: ruff, mypy --strict, the import contract, pytest.
# Extra arguments go to pytest.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/venv.sh" dev,sql
export SUBSCRIPTION_CORE_PG_DSN="${SUBSCRIPTION_CORE_PG_DSN:-postgresql://postgres@127.0.0.1:5432/test}"
echo "== ruff"; .venv/bin/ruff check src tests examples benchmarks && .venv/bin/ruff format --check src tests examples benchmarks
echo "== mypy --strict"; .venv/bin/mypy
echo "== import contract"; .venv/bin/lint-imports
echo "== pytest"; .venv/bin/python -m pytest "$@"
