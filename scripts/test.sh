#!/usr/bin/env bash
# Second command of the README: set up everything the tests need, then run them all.
# Installs Dovecot (dovecot-imapd) and openssl when missing, starts PostgreSQL when it is installed but
# stopped, installs mailbot with its test extras into .venv, and runs pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v dovecot >/dev/null 2>&1 && [ ! -x /usr/sbin/dovecot ]; then
    echo "Installing dovecot-imapd (the tests run a real IMAP server)..."
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null
fi
if ! command -v openssl >/dev/null 2>&1; then
    echo "Installing openssl (the TLS tests make a throwaway CA with it)..."
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null
fi
if ! command -v psql >/dev/null 2>&1 && ! ls /etc/postgresql >/dev/null 2>&1; then
    echo "Installing PostgreSQL (storage tests run on SQLite and PostgreSQL)..."
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
if ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
    echo "Starting PostgreSQL..."
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | tail -1)" main start
fi

scripts/setup.sh --test
# Four processes (or $MAILBOT_TEST_PROCESSES), even on two cores: the suite waits on real servers more than it
# computes, and every test makes its own mailbox, database and ports.
exec .venv/bin/python -m pytest -n "${MAILBOT_TEST_PROCESSES:-4}" "$@"
