"""Several schools in one deployment, through real servers: two Dovecot accounts (each
school's help mailbox), two SMTP capture servers (school a inherits the district's [smtp],
school b has its own), one database (SQLite and PostgreSQL).

Each school's mail becomes its own case #1 with its own tag and its own helper from its own
people.toml, leaves through its own SMTP server, and replies thread within the school;
each school's weekly digest counts its own cases; the district digest sets both side by
side, once; `--school` picks the right school on the command line.
"""

from __future__ import annotations

import email
import functools
import mailbox
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlmodel import select

from mailbot.adapters.clock import FixedClock
from mailbot.district import deployment, running
from mailbot.storage import db, store
from mailbot.storage.models import Case
from tests.integration.conftest import RULE_FILES
from tests.integration.mailflow import reply_to, text_of
from tests.mailfactory import make_mail

ROOT = Path(__file__).resolve().parents[2]
USER = ("Анна Петрова", "anna.petrova@mail.example")
ADDRESS = {"a": "help@school.example", "b": "help@gym2.example"}
HELPER = {"a": "n.ivanova@school.example", "b": "n.ivanova@gym2.example"}
BOSS = "boss@district.example"


def _school_file(folder: Path, name: str, imap: object, smtp: object | None) -> None:
    folder.mkdir()
    files = {key: ROOT / "config" / f"{key}.toml" for key in RULE_FILES}
    if name == "b":  # the second school's own staff: the same people at its own domain
        people = files["people"].read_text(encoding="utf-8")
        (folder / "people.toml").write_text(people.replace("@school.example", "@gym2.example")
                                            .replace('"school.example"', '"gym2.example"'),
                                            encoding="utf-8")
        files["people"] = folder / "people.toml"
    lines = [
        "[helpdesk]", f'address = "{ADDRESS[name]}"', f'school = "Школа {name.upper()}"',
        "[worker]", f'templates_path = "{ROOT / "templates"}"', "send_lease_seconds = 1",
        "[files]", *(f'{key} = "{path}"' for key, path in files.items()),
        "[mailbox]", 'kind = "imap"', 'host = "127.0.0.1"', f"port = {imap.port}",  # type: ignore[attr-defined]
        'security = "none"', f'username = "{imap.username}"',  # type: ignore[attr-defined]
        f'password = "{imap.password}"', "timeout = 10",  # type: ignore[attr-defined]
    ]
    if smtp is not None:
        lines += ["[smtp]", 'kind = "smtp"', 'host = "127.0.0.1"', f"port = {smtp.port}",  # type: ignore[attr-defined]
                  'security = "none"', "timeout = 10"]
    (folder / "mailbot.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def district(tmp_path: Path, db_url: str, dovecot: object, smtp_server: object) -> Iterator[
        tuple[Path, dict[str, object], dict[str, object]]]:
    from tests.servers import SmtpCapture

    imap = {name: dovecot.new_account() for name in "ab"}  # type: ignore[attr-defined]
    second = SmtpCapture().start()
    smtp = {"a": smtp_server, "b": second}
    try:
        _school_file(tmp_path / "a", "a", imap["a"], None)
        _school_file(tmp_path / "b", "b", imap["b"], second)
        path = tmp_path / "district.toml"
        path.write_text(
            f'state_dir = "state"\n[database]\nurl = "{db_url}"\n'
            f'[security]\nsecret_file = "{tmp_path / "mailbot.secret"}"\n'
            f'[smtp]\nkind = "smtp"\nhost = "127.0.0.1"\nport = {smtp_server.port}\n'  # type: ignore[attr-defined]
            'security = "none"\ntimeout = 10\n'
            f'[district]\nname = "Отдел образования"\nadmins = ["{BOSS}"]\n'
            '[[school]]\nname = "a"\nconfig = "a/mailbot.toml"\n'
            '[[school]]\nname = "b"\nconfig = "b/mailbot.toml"\n', encoding="utf-8")
        yield path, imap, smtp
    finally:
        second.stop()


def _sent(smtp: object) -> list[tuple[str, tuple[str, ...], EmailMessage]]:
    return [(c.mail_from, c.rcpt_tos, email.message_from_bytes(c.data, policy=policy.default))
            for c in smtp.messages]  # type: ignore[attr-defined]


def _to(smtp: object, rcpt: str) -> list[EmailMessage]:
    return [m for _, rcpts, m in _sent(smtp) if rcpt in rcpts]


def _mailbot(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`mailbot --config PATH ARGS` as a school's operator runs it."""
    return subprocess.run([sys.executable, "-m", "mailbot", "--config", str(path), *args],
                          capture_output=True, text=True, timeout=120, check=False)


def _close(run: running.Running) -> None:
    for job in run.workers:
        job.close()
    run.workers[0].app.engine.dispose()


def _cycle(run: running.Running) -> None:
    for job in run.workers:
        report = job.poll_job()
        assert report is not None and not report.quarantine_reasons
        job.send_job()


def test_two_schools_in_one_deployment(district: tuple[Path, dict, dict]) -> None:  # type: ignore[type-arg]
    path, imap, smtp = district
    found = deployment.load(path)
    clock = FixedClock(datetime(2026, 11, 23, 5, 0, tzinfo=UTC))
    run = running.prepare(found, found.schools, clock)
    try:
        for job in run.workers:
            job.time_job()  # the first start: periodic mail counts from here
        run.district_job()
        for name in "ab":
            imap[name].append(make_mail(to=ADDRESS[name], sender=USER,
                                        subject=f"Не могу войти (школа {name})"))
        _cycle(run)

        # Each school's own case #1, its own tag, from its own address, by its own server.
        for name in "ab":
            ack = [m for m in _to(smtp[name], USER[1])]
            assert len(ack) == 1, name
            assert ack[0]["Subject"].startswith(f"[ЭЖ #1] Не могу войти (школа {name})")
            assert ADDRESS[name] in ack[0]["From"]
            notice = _to(smtp[name], HELPER[name])
            assert len(notice) == 1 and notice[0]["Subject"].startswith("[ЭЖ #1]")
        assert all(m["From"].addresses[0].addr_spec == ADDRESS["a"]
                   for _, _, m in _sent(smtp["a"]))

        # A reply citing only the tag [ЭЖ #1], to school b: b's case 1, not a's.
        imap["b"].append(make_mail(to=ADDRESS["b"], sender=USER,
                                   subject="Re: [ЭЖ #1] Не могу войти (школа b)",
                                   body="Дополню: пишет «неверный пароль»."))
        # b's helper answers the notice: relayed to the user from b's address.
        notice_b = _to(smtp["b"], HELPER["b"])[0]
        imap["b"].append(reply_to(notice_b, sender=("Иванова Надежда Павловна", HELPER["b"]),
                                  body="Анна, сбросьте пароль на Госуслугах, пожалуйста."))
        _cycle(run)
        with db.session(run.workers[0].app.engine) as session:
            cases = session.exec(select(Case)).all()
        assert sorted((c.number, c.subject) for c in cases) == [
            (1, "Не могу войти (школа a)"), (1, "Не могу войти (школа b)")]
        assert len({c.mailbox_id for c in cases}) == 2
        followup = _to(smtp["b"], HELPER["b"])[-1]
        assert "неверный пароль" in text_of(followup)
        assert len(_to(smtp["a"], HELPER["a"])) == 1  # a's helper heard nothing more
        relayed = _to(smtp["b"], USER[1])[-1]
        assert "сбросьте пароль" in text_of(relayed) and relayed["Subject"].startswith("[ЭЖ #1]")

        # A week later: each school's digest counts its own case; the district digest sets
        # both side by side, once.
        clock.current = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)  # Monday 10:00 local
        for job in run.workers:
            job.time_job()
        run.district_job()
        run.district_job()
        for job in run.workers:
            job.send_job()
        for name in "ab":
            digests = [m for m in _to(smtp[name], f"director@{ADDRESS[name].split('@')[1]}")
                       if m["Subject"].startswith("Сводка службы помощи")]
            assert len(digests) == 1, name
            text = text_of(digests[0])
            assert f"Школа {name.upper()}" in text
            assert [line.split()[-1] for line in text.splitlines()
                    if line.strip().startswith("Новых обращений")] == ["1"]
        district_mail = _to(smtp["a"], BOSS)
        assert len(district_mail) == 1 and not _to(smtp["b"], BOSS)
        text = text_of(district_mail[0])
        assert "1 — Школа A" in text and "2 — Школа B" in text
        opened = next(line for line in text.splitlines() if "Новых обращений" in line)
        assert opened.split()[-3:] == ["1", "1", "2"]
        with db.session(run.workers[1].app.engine) as session:
            box_b = store.mailbox(session, ADDRESS["b"]).id
            held = store.quarantine(session, box_b, "test:1", b"not mail", "broken",
                                    clock.now()).id
            session.commit()
    finally:
        _close(run)

    # The command line: --school picks the school; without it, one line naming them.
    mailbot = functools.partial(_mailbot, path)

    listing = mailbot("--school", "b", "case", "1")
    assert listing.returncode == 0, listing.stderr
    assert "Case 1" in listing.stdout and "(школа b)" in listing.stdout
    assert "неверный пароль" in listing.stdout
    missing = mailbot("cases")
    assert missing.returncode == 2
    assert missing.stderr.strip().endswith("NAME one of a, b")
    unknown = mailbot("--school", "c", "cases")
    assert unknown.returncode == 2 and "no school 'c'; known: a, b" in unknown.stderr
    elsewhere = mailbot("--school", "a", "quarantine", "show", str(held))
    assert elsewhere.returncode == 1
    assert f"came to school b: mailbot --school b quarantine show {held}" in elsewhere.stderr
    assert "Quarantine is empty" in mailbot("--school", "a", "quarantine").stdout
    assert "broken" in mailbot("--school", "b", "quarantine").stdout
    again = mailbot("digest", "--district", "--send", "--week", "2026-W48")
    assert again.returncode == 0 and "sent before" in again.stdout


def test_run_serves_every_school_and_stops_cleanly(tmp_path: Path) -> None:
    """`mailbot run` on a district file: one process, a worker per school (local Maildirs
    here), each school's mail answered from its own address; SIGTERM stops it with 0."""
    for name in "ab":
        (tmp_path / name).mkdir()
        (tmp_path / name / "mailbot.toml").write_text(
            f'[helpdesk]\naddress = "{ADDRESS[name]}"\nschool = "Школа {name.upper()}"\n'
            "[worker]\npoll_seconds = 0.5\nsend_seconds = 0.5\n", encoding="utf-8")
    path = tmp_path / "district.toml"
    path.write_text('state_dir = "state"\n[[school]]\nname = "a"\nconfig = "a/mailbot.toml"\n'
                    '[[school]]\nname = "b"\nconfig = "b/mailbot.toml"\n', encoding="utf-8")
    (tmp_path / "state").mkdir()
    for name in "ab":  # mail waiting before the start
        box = tmp_path / "state" / name / "mailbox"
        box.parent.mkdir()
        mailbox.Maildir(str(box), create=True).add(
            make_mail(to=ADDRESS[name], subject=f"Вопрос школе {name}"))
    worker = subprocess.Popen([sys.executable, "-m", "mailbot", "--config", str(path), "run"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sent = {name: tmp_path / "state" / name / "sent" / "new" for name in "ab"}
    give_up = time.monotonic() + 90  # a guard only: the assertions below decide
    while time.monotonic() < give_up and worker.poll() is None and not all(
            folder.is_dir() and any(folder.iterdir()) for folder in sent.values()):
        time.sleep(0.2)
    worker.send_signal(signal.SIGTERM)
    _out, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    for name in "ab":
        [ack] = [email.message_from_bytes(p.read_bytes(), policy=policy.default)
                 for p in sent[name].iterdir()]
        assert ack["Subject"] == f"[ЭЖ #1] Вопрос школе {name}"
        assert ack["From"].addresses[0].addr_spec == ADDRESS[name]
    assert err.count(" started: mailbox ") == 2 and "Traceback" not in err


def test_run_watches_every_schools_mailbox_with_idle(district: tuple[Path, dict, dict]) -> None:  # type: ignore[type-arg]
    """Both schools' IMAP mailboxes are watched with IDLE in one process: with an hourly
    poll, mail appended after the start is answered at once, each by its own school."""
    path, imap, smtp = district
    for name in "ab":
        school = path.parent / name / "mailbot.toml"
        school.write_text(school.read_text(encoding="utf-8").replace(
            "[worker]", "[worker]\npoll_seconds = 3600\nsend_seconds = 3600"), encoding="utf-8")
    (path.parent / "state").mkdir()
    worker = subprocess.Popen([sys.executable, "-m", "mailbot", "--config", str(path), "run"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    beats = [path.parent / "state" / name / "worker-health.json" for name in "ab"]
    give_up = time.monotonic() + 90  # guards only: the assertions below decide
    while time.monotonic() < give_up and worker.poll() is None and not all(
            b.is_file() for b in beats):
        time.sleep(0.2)
    for name in "ab":
        imap[name].append(make_mail(to=ADDRESS[name], sender=USER, subject=f"Школа {name}"))
    while time.monotonic() < give_up and worker.poll() is None and not all(
            _to(smtp[name], USER[1]) for name in "ab"):
        time.sleep(0.2)
    worker.send_signal(signal.SIGTERM)
    _out, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    for name in "ab":
        [ack] = _to(smtp[name], USER[1])
        assert ack["Subject"] == f"[ЭЖ #1] Школа {name}"


def test_forget_and_export_cover_every_school(district: tuple[Path, dict, dict],  # type: ignore[type-arg]
                                              tmp_path: Path) -> None:
    """A parent who wrote to both schools: `export` without --school gathers both schools'
    cases into one folder, `forget` counts and then erases them in both; an address that is
    staff in one school is refused there and handled in the other."""
    path, imap, _smtp = district
    found = deployment.load(path)
    run = running.prepare(found, found.schools, FixedClock(datetime(2026, 11, 23, 5, 0,
                                                                    tzinfo=UTC)))
    try:
        for name in "ab":
            imap[name].append(make_mail(to=ADDRESS[name], sender=USER,
                                        subject=f"Оценки сына (школа {name})",
                                        body="Не вижу оценок сына за неделю."))
        _cycle(run)
    finally:
        _close(run)

    mailbot = functools.partial(_mailbot, path)

    exported = mailbot("export", USER[1], "--out", str(tmp_path))
    assert exported.returncode == 0, exported.stderr
    folder = Path(exported.stdout.strip())
    for name in "ab":
        data = (folder / name / "data.json").read_text(encoding="utf-8")
        assert f"Оценки сына (школа {name})" in data
        assert f"(школа {'b' if name == 'a' else 'a'})" not in data  # each school its own

    counted = mailbot("forget", USER[1])
    assert counted.returncode == 0, counted.stderr
    lines = counted.stdout.strip().splitlines()
    assert [line.split()[0] for line in lines[:2]] == ["[a]", "[b]"]
    assert all("would erase: 1 cases pseudonymised" in line for line in lines[:2])
    assert lines[-1].startswith("Nothing changed; run again with --yes")
    assert mailbot("forget", USER[1]).stdout == counted.stdout  # nothing changed

    erased = mailbot("forget", USER[1], "--yes")
    assert erased.returncode == 0, erased.stderr
    assert [line.split(":")[0] for line in erased.stdout.strip().splitlines()] == [
        "[a] erased", "[b] erased"]
    engine = db.make_engine(found.schools[0].config.database.url)
    try:
        with db.session(engine) as session:
            subjects = [c.subject for c in session.exec(select(Case)).all()]
    finally:
        engine.dispose()
    assert len(subjects) == 2 and not any("Оценки сына" in s for s in subjects)
    again = mailbot("forget", USER[1])
    assert again.stdout.strip().splitlines() == [
        "[a] nothing is held about this address", "[b] nothing is held about this address"]

    staff = mailbot("forget", HELPER["a"])  # staff of school a only
    assert staff.returncode == 2
    refusal = (f"[a] refused: {HELPER['a']} is the help desk's own or a person's of "
               "people.toml: take it out of the rule files first")
    assert staff.stdout.strip().splitlines() == [
        refusal, "[b] nothing is held about this address"]
    one = mailbot("--school", "b", "forget", USER[1])  # --school still picks one school
    assert one.returncode == 0 and one.stdout.strip() == "Nothing is held about this address."
