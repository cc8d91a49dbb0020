#!/bin/sh
# `mailbot` for the administrator: the installed command with the service's environment
# (passwords and secret from /etc/mailbot/mailbot.env), so `check` and `status` see what
# the service sees. Install: sudo install -m 755 deploy/mailbot-command.sh /usr/local/bin/mailbot
# Use it as the service's user: sudo -u mailbot mailbot status
set -a
if [ -r /etc/mailbot/mailbot.env ]; then . /etc/mailbot/mailbot.env; fi
set +a
# The service's files whatever the current folder is (as deploy/mailbot.service sets them).
export MAILBOT_CONFIG="${MAILBOT_CONFIG:-/etc/mailbot/mailbot.toml}"
export MAILBOT_STATE_DIR="${MAILBOT_STATE_DIR:-/var/lib/mailbot}"
exec /opt/mailbot/bin/mailbot "$@"
