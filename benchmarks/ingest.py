"""Ingest rate of `mailbot run --once` against the raw limit, measured in the same run.

Seeds a real Dovecot mailbox with N realistic mails (every 50th with a 1 MB attachment),
then measures (a) the raw limit: imapclient fetching BODY.PEEK[] in batches of 100 and
mail-parser parsing the same mails, no other work; (b) `mailbot run --once` (a fresh
process, a fresh SQLite database) ingesting them into cases with acknowledgements queued
(outgoing mail to a local Maildir). Prints both rates, their ratio and mailbot's peak memory.

    .venv/bin/python benchmarks/ingest.py [N]
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mailparser
from imapclient import IMAPClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.mailfactory import make_mail
from tests.servers import Dovecot


def mails(n: int) -> list[bytes]:
    out = []
    for i in range(n):
        raw = make_mail(
            subject=f"Не вижу оценки в дневнике ({i})",
            body=("Здравствуйте! Мой сын учится в 7 Б классе, в электронном дневнике не "
                  "отображаются оценки за последнюю неделю. Подскажите, что делать?\n") * 3,
            sender=(f"Родитель {i}", f"parent{i}@mail.example"),
            message_id=f"bench{i}@mail.example",
        )
        if i % 50 == 0:
            attachment = b"Content-Type: application/pdf; name=scan.pdf\r\n" \
                b"Content-Transfer-Encoding: base64\r\n\r\n" + (b"QUJD" * 19 + b"\r\n") * 13800
            raw = raw.replace(b"Content-Type: text/plain", b"Content-Type: multipart/mixed; "
                              b"boundary=B\r\n\r\n--B\r\nContent-Type: text/plain", 1)
            raw += b"\r\n--B\r\n" + attachment + b"--B--\r\n"
        out.append(raw)
    return out


def raw_limit(account) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    count = 0
    with IMAPClient(account.host, port=account.port, ssl=False) as client:
        client.login(account.username, account.password)
        client.select_folder("INBOX", readonly=True)
        uids = client.search(["ALL"])
        for i in range(0, len(uids), 100):
            for data in client.fetch(uids[i:i + 100], ["BODY.PEEK[]"]).values():
                mailparser.parse_from_bytes(data[b"BODY[]"])
                count += 1
    return count, time.perf_counter() - start


RULE_FILES = ("people", "categories", "routes", "etiquette", "knowledge", "calendar", "schedule")


def write_config(tmp: Path, account: object, name: str, rules: bool) -> Path:
    folder = tmp / name
    folder.mkdir()
    files = "".join(f'{key} = "{ROOT / "config" / (key + ".toml")}"\n' for key in RULE_FILES)
    config = folder / "mailbot.toml"
    config.write_text(
        f'[helpdesk]\naddress = "help@school.example"\n'
        f'[database]\nurl = "sqlite:///{folder}/bench.sqlite3"\n'
        f'[mailbox]\nkind = "imap"\nhost = "127.0.0.1"\nport = {account.port}\n'  # type: ignore[attr-defined]
        f'security = "none"\nusername = "{account.username}"\n'  # type: ignore[attr-defined]
        f'password = "{account.password}"\n'  # type: ignore[attr-defined]
        f'[smtp]\nkind = "maildir"\npath = "{folder}/sent"\n'
        f'[worker]\nseed_samples = false\ntemplates_path = "{ROOT / "templates"}"\n'
        f'[security]\nsecret_file = "{folder}/secret"\n'
        + (f"[files]\n{files}" if rules else "")
        + '[limits]\nauto_replies_per_sender = 1000000\n', encoding="utf-8")
    return config


def timed_run(config: Path, n: int) -> tuple[float, float]:
    """Mails per second of `mailbot run --once` over the whole mailbox, and its peak MiB."""
    # Create the schema first so the timed run measures ingestion, not migrations.
    subprocess.run([sys.executable, "-m", "mailbot", "--config", str(config), "cases"],
                   check=True, capture_output=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "mailbot", "--config", str(config), "run",
                          "--once"], capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if run.returncode != 0:
        sys.exit(f"mailbot failed: {run.stderr.strip().splitlines()[-1]}")
    peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return n / seconds, peak / 1024


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    with Dovecot() as dovecot, tempfile.TemporaryDirectory() as tmp:
        results = {}
        for name, rules in (("bare", False), ("full", True)):
            account = dovecot.new_account()
            account.append_many(mails(n))
            count, raw_seconds = raw_limit(account)
            results[name] = (count / raw_seconds,
                             *timed_run(write_config(Path(tmp), account, name, rules), n))
    print(f"mails: {n} (every 50th with a 1 MB attachment)")
    for name, (raw_rate, bot_rate, peak) in results.items():
        what = ("cases + acks" if name == "bare" else
                "cases classified, routed, acks + notices with articles and consultations")
        print(f"[{name}] raw limit (imapclient fetch + mail-parser): {raw_rate:8.0f} mails/s")
        print(f"[{name}] mailbot run --once ({what}): {bot_rate:8.0f} mails/s")
        print(f"[{name}] ratio mailbot / raw: {bot_rate / raw_rate:.2f}; "
              f"peak memory of the mailbot process: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
