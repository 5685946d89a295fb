#!/usr/bin/env bash
# Install the library (with the SQL extra) into .venv and run the main demo: quotes, then a story on SQLite.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/venv.sh" sql
exec .venv/bin/python examples/demo.py "$@"
