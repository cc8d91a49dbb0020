"""Personal data through real Dovecot, SMTP and both databases: `mailbot forget` leaves no
trace of the person in any column of any table while another user's case stays whole;
`mailbot export` writes what is held; the retention job drops raw mail after N days and
pseudonymises after M months, once, with the old week's digest unchanged."""

from __future__ import annotations

import email
import json
import logging
from email import policy
from email.message import EmailMessage

from sqlalchemy import MetaData, Table, inspect
from sqlmodel import func, select

from mailbot import cli
from mailbot.jobs import digests, retention
from mailbot.privacy.scrub import ERASED_ADDR, ERASED_TEXT
from mailbot.storage import db
from mailbot.storage.models import (
    Attachment,
    Case,
    Event,
    Message,
    Outbox,
    Periodic,
    RawMail,
    Registration,
)
from mailbot.worker import mailbox_id
from tests.integration.mailflow import IVANOVA, USER, Sent, case_row, deliver, reply_to
from tests.integration.test_bounces import _dsn
from tests.mailfactory import make_mail

ZINA = ("Зинаида Кукушкина", "Z.Kukushkina@Mail.Example")  # stored lower-cased
KOTOVA = ("Мария Котова", "kotova@mail.example")
# What must not survive `forget` anywhere: address, name (any case form), her words.
NEEDLES = ("z.kukushkina@mail.example", "кукушкин", "зинаид", "жираф", "123-456-789",
           "скрин-гоши")


def with_screenshot(raw: bytes) -> bytes:
    msg = email.message_from_bytes(raw, policy=policy.SMTP)
    assert isinstance(msg, EmailMessage)
    msg.add_attachment(b"\x89PNG fake screenshot bytes", maintype="image", subtype="png",
                       filename="скрин-гоши.png")
    return msg.as_bytes()


def texts_of(value: object) -> list[str]:
    """A cell as text a person could read: bytes also decoded as a mail (base64, QP)."""
    if value is None:
        return []
    if isinstance(value, bytes | memoryview):
        data = bytes(value)
        out = [data.decode("utf-8", "replace")]
        msg = email.message_from_bytes(data, policy=policy.default)
        out += [str(v) for v in msg.values()]
        for part in msg.walk():
            if part.get_filename():
                out.append(part.get_filename())
            if part.get_content_maintype() == "text":
                out.append(str(part.get_content()))
        return out
    return [str(value)]


def snapshot(engine) -> dict[str, list[tuple[object, ...]]]:  # type: ignore[no-untyped-def]
    """Every row of every table, to compare a database before and after."""
    meta, out = MetaData(), {}
    for name in inspect(engine).get_table_names():
        table = Table(name, meta, autoload_with=engine)
        with engine.connect() as conn:
            out[name] = sorted((tuple(bytes(v) if isinstance(v, memoryview) else v
                                      for v in row) for row in conn.execute(table.select())),
                               key=repr)
    return out


def traces(engine, needles=NEEDLES) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    """Every (table, column, needle) found, over every table the database has."""
    found = []
    meta = MetaData()
    for name in inspect(engine).get_table_names():
        table = Table(name, meta, autoload_with=engine)
        with engine.connect() as conn:
            for row in conn.execute(table.select()).mappings():
                for column, value in row.items():
                    folded = " ".join(texts_of(value)).casefold()
                    found += [(name, column, n) for n in needles if n in folded]
    return sorted(set(found))


def zina_and_anna(desk) -> None:  # type: ignore[no-untyped-def]
    """Zina's case (1) with a screenshot, answered by name, her follow-up, closed; a seminar
    seat (case 2); Anna's case (3), Zina in copy and writing into it too."""
    deliver(desk, with_screenshot(make_mail(
        sender=ZINA, subject="Фиолетовый жираф не пускает в дневник", message_id="z1@mail.example",
        body="Здравствуйте! Мой сын Гоша Кукушкин из 5Б не может войти: на экране фиолетовый "
             "жираф. СНИЛС 123-456-789 01.")))
    notice = Sent(desk).one("notice", IVANOVA[1])
    deliver(desk, reply_to(notice, sender=IVANOVA,
                           body="Зинаида, войдите, пожалуйста, через Госуслуги ещё раз."))
    relay = Sent(desk).one("relay", ZINA[1].lower())
    deliver(desk, reply_to(relay, sender=ZINA, message_id="z2@mail.example",
                           body="Спасибо, жираф пропал, но Гоша всё ещё не видит оценки."))
    followup = Sent(desk).one("followup", IVANOVA[1])
    deliver(desk, reply_to(followup, sender=IVANOVA, body="#закрыть\nГотово, Зинаида."))
    deliver(desk, make_mail(sender=ZINA, subject="семинар", body="#записаться 1"))
    deliver(desk, make_mail(sender=USER, subject="Не вижу домашнее задание",
                            message_id="a1@mail.example", headers={"Cc": ZINA[1]},
                            body="Добрый день! В дневнике не видно домашнего задания на пятницу."))
    deliver(desk, make_mail(sender=ZINA, subject="Re: Не вижу домашнее задание",
                            in_reply_to="a1@mail.example", message_id="z3@mail.example",
                            body="У нас то же самое, и фиолетовый жираф на экране входа."))
    assert case_row(desk, 3).requester_addr == USER[1]
    # The acknowledgement to her came back: the "bounce quiet" record holds her address.
    ack_id = Sent(desk).one("ack", ZINA[1].lower())["Message-ID"].strip().strip("<>")
    deliver(desk, _dsn(ack_id, ZINA[1].lower()))
    with db.session(desk.app.engine) as session:
        assert session.exec(select(Outbox).where(Outbox.status == "bounced")).one()


def anna_case(desk) -> dict[str, object]:  # type: ignore[no-untyped-def]
    with db.session(desk.app.engine) as session:
        case = session.get(Case, 3)
        messages = session.exec(select(Message).where(Message.case_id == 3)
                                .order_by(Message.id)).all()
        mail = session.exec(select(Outbox).where(Outbox.rcpt_to == USER[1])).all()
        return {"subject": case.subject, "requester": case.requester_addr,
                "anna": [(m.from_addr, m.new_text) for m in messages
                         if m.from_addr == USER[1]],
                "mail_to_anna": [(r.kind, bytes(r.raw)) for r in mail]}


def test_forget_leaves_no_trace_and_other_cases_whole(desk, capsys) -> None:  # type: ignore[no-untyped-def]
    zina_and_anna(desk)
    before = traces(desk.app.engine)
    assert {n for _, _, n in before} == set(NEEDLES)  # the scan sees her everywhere first
    anna_before = anna_case(desk)
    assert anna_before["anna"] and anna_before["mail_to_anna"]
    config = ["--config", str(desk.config.source_path)]
    whole = snapshot(desk.app.engine)

    assert cli.main([*config, "forget", "z.kukushkina@MAIL.example"]) == 0
    dry = capsys.readouterr().out
    assert dry.startswith("Would erase: 2 cases pseudonymised") and "--yes" in dry
    assert snapshot(desk.app.engine) == whole  # a dry run changes nothing

    assert cli.main([*config, "forget", "z.kukushkina@MAIL.example", "--yes"]) == 0
    assert capsys.readouterr().out.startswith("Erased: 2 cases pseudonymised")
    assert traces(desk.app.engine) == []
    with db.session(desk.app.engine) as session:
        [done] = session.exec(select(Event).where(Event.kind == "forgotten")).all()
        assert json.loads(done.detail)["cases"] == 2 and done.case_id is None
        mine = session.get(Case, 1)
        assert (mine.status, mine.category, mine.assignee) == ("closed", "login", "ivanova")
        assert mine.requester_addr == ERASED_ADDR and mine.subject == ERASED_TEXT
        assert session.exec(select(func.count(Attachment.id))).one() == 0
        blanked = session.exec(select(Message).where(Message.message_id == "z3@mail.example")
                               ).one()
        assert (blanked.case_id, blanked.new_text) == (3, ERASED_TEXT)
    anna_after = anna_case(desk)
    assert anna_after == anna_before  # her subject, her words, the mail to her: whole

    # Nothing left to erase; a second run says so.
    assert cli.main([*config, "forget", "z.kukushkina@mail.example"]) == 0
    assert capsys.readouterr().out.strip() == "Nothing is held about this address."


def test_forget_refuses_staff_and_nonsense(desk, capsys) -> None:  # type: ignore[no-untyped-def]
    config = ["--config", str(desk.config.source_path)]
    assert cli.main([*config, "forget", IVANOVA[1], "--yes"]) == 2
    assert "people.toml" in capsys.readouterr().err
    assert cli.main([*config, "forget", "not an address"]) == 2
    assert "not an e-mail address" in capsys.readouterr().err


def test_export_writes_the_json_and_the_attachments(desk, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    zina_and_anna(desk)
    out = tmp_path / "exports"
    out.mkdir()
    assert cli.main(["--config", str(desk.config.source_path), "export", ZINA[1],
                     "--out", str(out)]) == 0
    folder = out / capsys.readouterr().out.strip().rsplit("/", 1)[-1]
    assert folder.is_dir() and (folder.stat().st_mode & 0o777) == 0o700
    data = json.loads((folder / "data.json").read_text(encoding="utf-8"))
    assert data["address"] == "z.kukushkina@mail.example"
    assert [c["number"] for c in data["cases"]] == [1, 2]
    first = data["cases"][0]
    assert "фиолетовый" in first["messages"][0]["text"]
    assert any("Госуслуги" in m["text"] for m in first["messages"])  # the helper's answer
    [shot] = first["messages"][0]["attachments"]
    assert shot["filename"] == "скрин-гоши.png"
    assert (folder / shot["file"]).read_bytes() == b"\x89PNG fake screenshot bytes"
    [elsewhere] = data["messages_in_other_cases"]
    assert elsewhere["case"] == 3 and "экране входа" in elsewhere["text"]
    kinds = {m["kind"] for m in data["mail_sent_to_them"]}
    assert {"ack", "relay", "closing"} <= kinds
    assert any("Госуслуги" in m["text"] for m in data["mail_sent_to_them"])
    assert [s["seminar"] for s in data["seminar_seats"]] == [1]
    assert "anna.petrova" not in json.dumps(data)  # Anna's case is not Zina's to read


def test_retention_drops_raw_mail_then_pseudonymises_once(desk, caplog) -> None:  # type: ignore[no-untyped-def]
    deliver(desk, with_screenshot(make_mail(message_id="r1@mail.example")))  # case 1, Anna
    notice = Sent(desk).one("notice", IVANOVA[1])
    desk.clock.advance(hours=2)
    deliver(desk, make_mail(sender=ZINA, subject="Ещё вопрос", body="Открытый вопрос."))  # 2
    deliver(desk, make_mail(sender=KOTOVA, subject="семинар", body="#записаться 1"))  # 3, a seat
    deliver(desk, _dsn("nothing-of-ours@school.example", "ghost@mail.example"))  # no case
    deliver(desk, reply_to(notice, sender=IVANOVA, body="#закрыть\nАнна, пароль сброшен."))
    app, box = desk.app, mailbox_id(desk.app)
    theirs = (USER[1], "анна петрова", "пароль сброшен", "пишет ошибка", KOTOVA[1], "котова", "ghost@")
    assert {n for _, _, n in traces(app.engine, theirs)} == set(theirs)
    week = "2026-W48"
    desk.clock.advance(days=8)
    digest_before = digests.admin_rendered(app, box, week).text
    rules = app.config.retention
    caplog.set_level(logging.INFO, logger="mailbot.jobs.retention")

    def held() -> tuple[int, int, int, int]:
        with db.session(app.engine) as session:
            return tuple(session.exec(select(func.count(model.id))).one()  # type: ignore[return-value]
                         for model in (RawMail, Attachment, Registration, Event))

    assert retention.run(app, box) == {}  # closed 8 days ago: nothing due yet
    desk.clock.current = case_row(desk, 1).closed_at.replace(tzinfo=desk.clock.current.tzinfo)
    desk.clock.advance(days=rules.raw_days, seconds=1)
    done = retention.run(app, box)
    assert (done[retention.RAW], done["raw_mail"], done["attachments"], done["loose_raw"]) \
        == (2, 3, 1, 1)  # cases 1 and 3 (answered at once); the bounce
    raws, files, seats, events = held()
    assert (raws, files, seats) == (1, 0, 1)  # the open case keeps its mail
    assert case_row(desk, 1).requester_addr == USER[1]  # named until pseudonymised
    assert retention.run(app, box) == {} and held()[3] == events  # once: no new log entry
    lines = [r.getMessage() for r in caplog.records if r.name == "mailbot.jobs.retention"]
    assert len(lines) == 1 and lines[0].startswith("retention: ")  # counts only
    assert "@" not in lines[0] and "Петров" not in lines[0]

    desk.clock.advance(days=365 - rules.raw_days + 1)
    assert desk.worker.time_job()["retention"] == 2  # the pseudonymising, by the daily job
    assert retention.daily(app, box) == 0  # done today
    case = case_row(desk, 1)
    assert (case.requester_addr, case.subject, case.requester_name) == (ERASED_ADDR,
                                                                        ERASED_TEXT, "")
    assert (case.status, case.category, case.assignee) == ("closed", "login", "ivanova")
    assert held()[2] == 0  # the seat of a seminar a year ago
    counted = held()[3]
    assert retention.run(app, box) == {} and held()[3] == counted
    # Anna's, Kotova's and the bounced address's data are gone from every table; Zina's
    # case is open and keeps hers.
    assert traces(app.engine, theirs) == []
    assert traces(app.engine, ("z.kukushkina@mail.example",))
    assert digests.admin_rendered(app, box, week).text == digest_before
    with db.session(app.engine) as session:
        kinds = session.exec(select(Periodic.kind, Periodic.key).where(
            Periodic.kind.in_((retention.RAW, retention.PSEUDO)))).all()
    assert sorted(kinds) == [(retention.PSEUDO, "case 1"), (retention.PSEUDO, "case 3"),
                             (retention.RAW, "case 1"), (retention.RAW, "case 3")]
