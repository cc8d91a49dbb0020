#!/usr/bin/env bash
# Create .venv and install mailbot into it. Used by run.sh and test.sh; safe to re-run.
# Usage: scripts/setup.sh [--test]
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "mailbot needs Python 3.11 or newer (found: $("$PYTHON" --version 2>&1))" >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
extra=""
if [ "${1:-}" = "--test" ]; then extra="[test]"; fi
# Reinstall only when pyproject.toml or setup.py changed since the last install.
stamp=".venv/.mailbot-installed${extra}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ setup.py -nt "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e ".${extra}"
    touch "$stamp"
fi
