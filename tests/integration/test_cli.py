"""The `mailbot` command as an operator meets it: one line on errors, JSON from explain."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.integration.conftest import write_config
from tests.mailfactory import make_mail
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


def test_explain_json_tells_role_category_route_and_etiquette(tmp_path: Path,
                                                              sqlite_url: str) -> None:
    config = write_config(tmp_path, db_url=sqlite_url)
    mail = tmp_path / "q.eml"
    mail.write_bytes(make_mail(subject="Жалоба на учителя",
                               body="Жалоба на учителя Кузнецова: он идиот, грубо ответил "
                                    "моему сыну."))
    result = mailbot("--config", str(config), "explain", "--json", str(mail))
    item = json.loads(result.stdout)
    assert item["sender_role"] == "user" and item["command"] is None
    assert item["category"] == "complaint" and item["route"] == "person:petrova"
    assert item["role"] in ("parent", "unknown")
    assert set(item["reasons_by_step"]) == {"category", "role", "route"}
    assert [f["word"] for f in item["etiquette"]] == ["идиот"]
    assert not (tmp_path / "mailbot.secret").exists(), "explain creates no secret either"


def test_a_mistake_in_a_rules_file_is_one_line(tmp_path: Path, sqlite_url: str) -> None:
    people = tmp_path / "people.toml"
    text = (ROOT / "config" / "people.toml").read_text(encoding="utf-8")
    people.write_text(text.replace('supervisor = "petrova"', 'supervisor = "nobody"', 1),
                      encoding="utf-8")
    config = write_config(tmp_path, db_url=sqlite_url, files={"people": people})
    result = mailbot("--config", str(config), "check")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
    assert str(people) in result.stderr and "nobody" in result.stderr


def test_case_digest_and_schedule_commands(tmp_path: Path, sqlite_url: str) -> None:
    config = write_config(tmp_path, db_url=sqlite_url)
    inbox = tmp_path / "in"
    for sub in ("cur", "new", "tmp"):
        (inbox / sub).mkdir(parents=True)
    (inbox / "new" / "1.eml").write_bytes(make_mail())
    text = config.read_text(encoding="utf-8")
    config.write_text(text + f'[mailbox]\nkind = "maildir"\npath = "{inbox}"\n'
                      f'[smtp]\nkind = "maildir"\npath = "{tmp_path / "out"}"\n',
                      encoding="utf-8")
    assert mailbot("--config", str(config), "run", "--once").returncode == 0
    case = mailbot("--config", str(config), "case", "1")
    assert case.returncode == 0
    assert "States:" in case.stdout and "new -> assigned" in case.stdout
    assert "assignee: ivanova" in case.stdout and "Category: login" in case.stdout
    digest = mailbot("--config", str(config), "digest", "--print", "--week", "2026-W48")
    assert digest.returncode == 0 and "Сводка службы помощи" in digest.stdout
    bad_week = mailbot("--config", str(config), "digest", "--week", "2026-W60")
    assert bad_week.returncode == 2 and "W60" in bad_week.stderr
    schedule = mailbot("--config", str(config), "schedule", "--week", "2026-W49")
    assert schedule.returncode == 0 and "семинар № 1" in schedule.stdout
