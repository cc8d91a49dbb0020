"""deploy/mailbot.service: a dedicated user, a state folder, restart on failure, hardening;
checked by systemd-analyze where the machine has it, and key by key everywhere."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "mailbot.service"


def keys(text: str) -> dict[str, dict[str, list[str]]]:
    """A unit file's sections and keys (a key may repeat, as SystemCallFilter does)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        name, sep, value = line.partition("=")
        assert sep, f"not a key=value line: {line!r}"
        current.setdefault(name.strip(), []).append(value.strip())
    return sections


def test_unit_has_user_state_restart_and_hardening() -> None:
    unit = keys(UNIT.read_text(encoding="utf-8"))
    service = unit["Service"]
    one = {name: values[-1] for name, values in service.items()}
    assert one["User"] == "mailbot" and one["Group"] == "mailbot"
    assert one["ExecStart"].endswith("/mailbot run")
    assert one["StateDirectory"] == "mailbot" and "MAILBOT_STATE_DIR=/var/lib/mailbot" in (
        service["Environment"])
    assert one["Restart"] == "on-failure" and one["KillSignal"] == "SIGTERM"
    for name, value in (("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"),
                        ("ProtectHome", "yes"), ("PrivateTmp", "yes"),
                        ("PrivateDevices", "yes"), ("CapabilityBoundingSet", ""),
                        ("RestrictSUIDSGID", "yes"), ("LockPersonality", "yes")):
        assert one.get(name) == value, name
    assert "@system-service" in service["SystemCallFilter"]
    assert unit["Install"]["WantedBy"] == ["multi-user.target"]
    assert "network-online.target" in unit["Unit"]["After"][0]
    users = (ROOT / "deploy" / "mailbot.sysusers").read_text(encoding="utf-8")
    assert any(line.startswith("u mailbot ") for line in users.splitlines())


def test_systemd_analyze_verify_finds_nothing(tmp_path: Path) -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:  # no systemd here: the key-by-key test above is the check
        return
    # verify insists that ExecStart exists: point it at this environment's mailbot.
    here = Path(sys.executable).parent / "mailbot"
    unit = tmp_path / "mailbot.service"
    unit.write_text(UNIT.read_text(encoding="utf-8").replace(
        "/opt/mailbot/bin/mailbot", str(here)), encoding="utf-8")
    result = subprocess.run([tool, "verify", str(unit)], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0 and result.stdout + result.stderr == "", result.stderr
