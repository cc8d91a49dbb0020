#!/usr/bin/env bash
# First command of the README: set up, then run the worker on the embedded default
# (SQLite in data/, the local Maildir data/mailbox seeded with data/samples, outgoing mail
# written to data/sent). Extra arguments go to `mailbot run` (e.g. --once).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/mailbot --config config/mailbot.toml run "$@"
