#!/usr/bin/env bash
# Install the library into .venv and run the main demo.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/venv.sh" ""
exec .venv/bin/python examples/demo.py "$@"
