"""`mailbot secret rotate`: a new secret signs reply tokens from now on, while the previous
one is still accepted for `security.secret_grace_days` (desk/keyring.py), so helpers'
answers to notices already sent keep working for that long.

With the secret in the environment ($MAILBOT_SECRET) mailbot cannot change it: the command
says, in one line, what the operator sets instead ($MAILBOT_SECRET_PREVIOUS).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from mailbot.config import Config, ConfigError
from mailbot.desk import keyring


@dataclass(frozen=True)
class Rotation:
    done: bool
    message: str  # one line for the operator


def rotate(config: Config, now: datetime) -> Rotation:
    security = config.security
    grace_end = now + timedelta(days=security.secret_grace_days)
    env = security.secret_env
    if env and os.environ.get(env, "").strip():
        return Rotation(False, _by_hand(env, now.date(), security.secret_grace_days))
    path = config.secret_path
    fresh = secrets.token_hex(32).encode()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        keyring.write_new(path, keyring.format_file(fresh, ()))
        return Rotation(True, f"{path}: there was no secret yet; a new one is created (no "
                              "notice was signed before, so nothing needs a grace period)")
    try:
        current, retired = keyring.parse(text, str(path))
    except keyring.KeyringError as exc:
        raise ConfigError(f"{config.source_path}: security.secret_file: {exc}") from None
    new, kept = keyring.rotated(current, retired, now, security.secret_grace_days, fresh)
    keyring.replace_file(path, keyring.format_file(new, kept))
    return Rotation(True, f"{path}: a new secret signs from now on; the previous one is "
                          f"accepted until {_when(grace_end)} ({security.secret_grace_days} "
                          "days). Restart mailbot (systemctl restart mailbot) so the running "
                          "worker signs with the new one.")


def _by_hand(env: str, today: date, grace_days: int) -> str:
    previous = keyring.previous_env(env)
    return (f"the secret comes from ${env}, which mailbot cannot change: set {previous}="
            f"\"{today.isoformat()} <the current value of {env}>\" (several: separated by "
            f"commas), give {env} a new value (e.g. from `openssl rand -hex 32`) and restart "
            f"mailbot; the previous value is then accepted until "
            f"{today + timedelta(days=grace_days)} 00:00 UTC")


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")
