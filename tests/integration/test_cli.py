"""The `mailbot` command as an operator meets it: one line on errors, JSON from explain."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.integration.conftest import write_config
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]


def mailbot(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mailbot", *args], capture_output=True,
                          text=True, timeout=60, check=False)


def test_bad_config_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[helpdesk]\naddress = "h@s.example"\n[smtp]\nkind = "pigeon"\n')
    result = mailbot("--config", str(path), "run", "--once")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert f"{path}: smtp.kind:" in result.stderr


def test_unreachable_imap_is_one_line_and_nonzero(tmp_path: Path, sqlite_url: str) -> None:
    class Nowhere:
        port, username, password = free_port(), "u", "p"

    config = write_config(tmp_path, db_url=sqlite_url, imap=Nowhere())
    result = mailbot("--config", str(config), "run", "--once")
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("mailbot: IMAP 127.0.0.1:") and "Traceback" not in result.stderr


def test_explain_json_has_the_promised_fields(tmp_path: Path, sqlite_url: str) -> None:
    config = write_config(tmp_path, db_url=sqlite_url)
    files = sorted((ROOT / "data" / "samples").glob("*.eml"))[:3]
    bad = tmp_path / "bad.eml"
    bad.write_bytes(b"Subject: no sender\r\n\r\ntext\r\n")
    result = mailbot("--config", str(config), "explain", "--json", *map(str, files), str(bad))
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 4
    for item in lines[:3]:
        for key in ("file", "message_id", "subject", "from", "new_text", "attachments",
                    "auto", "case", "reasons"):
            assert key in item, key
        assert item["auto"] == "none" and item["case"] is None and item["new_text"]
    assert "error" in lines[3] and result.returncode == 1
    assert not Path(sqlite_url.split("///", 1)[1]).exists(), "explain changes nothing"
