"""Smoke tests of the test harness itself: if these fail, no integration test can be trusted."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import psycopg2
import pytest
import sqlalchemy
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from tests.servers import (
    Dovecot,
    ImapAccount,
    ServerError,
    SmtpCapture,
    free_port,
    is_running,
    parse_uid_set,
    postgres_database_exists,
    temporary_postgres_database,
)

# A parent writing from mail.ru in windows-1251, quoted-printable, CRLF as on the wire.
PARENT_CP1251 = (
    "From: =?windows-1251?B?yOLg7e7i4CDM4PDo/w==?= <ivanova.m@mail.ru>\r\n"
    "To: ezh-help@school.test\r\n"
    "Subject: =?windows-1251?B?7eUg7O7j8yDn4Ony6CDiIN3E?=\r\n"
    "Date: Mon, 14 Oct 2024 08:12:45 +0300\r\n"
    "Message-ID: <1728882765.512388917@f123.i.mail.ru>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=windows-1251\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "=C7=E4=F0=E0=E2=F1=F2=E2=F3=E9=F2=E5, =ED=E5 =EC=EE=E3=F3 =E7=E0=E9=F2=E8 =E2 =FD=EB=E5=EA=\r\n"
    "=F2=F0=EE=ED=ED=FB=E9 =E4=ED=E5=E2=ED=E8=EA, =EF=E8=F8=E5=F2 =ED=E5=E2=E5=F0=ED=FB=E9 =EF=E0=\r\n"
    "=F0=EE=EB=FC.\r\n"
    "\r\n"
    "--\r\n"
    "=CE=F2=EF=F0=E0=E2=EB=E5=ED=EE =E8=E7 =CF=EE=F7=F2=FB Mail.ru =E4=EB=FF Android\r\n"
).encode("ascii")

# A teacher's Outlook reply, UTF-8 base64, bare LF line ends as an .eml file on disk has them.
TEACHER_UTF8 = b"""From: "Petrov S. A." <petrov@school.test>
To: ezh-help@school.test
Subject: RE: [EZH-12] =?utf-8?B?0J3QtSDQstC40LbRgyDQvtGG0LXQvdC60Lg=?=
In-Reply-To: <case-12@school.test>
Message-ID: <DB9PR01MB1234.eurprd01.prod.outlook.com>
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: base64

0JTQvtCx0YDRi9C5INC00LXQvdGMISDQntGG0LXQvdC60Lgg0LfQsCA3INCRINC/0L4g0LDQu9Cz
0LXQsdGA0LUg0L3QtSDQv9C+0Y/QstC40LvQuNGB0YwuCg==
"""


def short_note(number: int) -> bytes:
    """A small, distinct message; its Message-ID lets a test check order after fetching."""
    return (
        f"From: parent{number}@yandex.ru\r\nTo: ezh-help@school.test\r\n"
        f"Subject: question {number}\r\nMessage-ID: <note-{number}@yandex.ru>\r\n\r\n"
        f"text {number}\r\n"
    ).encode()


# ---------------------------------------------------------------------------------------------
# IMAP
# ---------------------------------------------------------------------------------------------


def test_login_append_and_fetch_with_imapclient(imap_account: ImapAccount) -> None:
    uid = imap_account.append(PARENT_CP1251)

    client = IMAPClient(imap_account.host, port=imap_account.port, ssl=False, timeout=10)
    client.login(imap_account.username, imap_account.password)
    try:
        client.select_folder("INBOX")
        assert client.search("ALL") == [uid]
        fetched = client.fetch([uid], [b"BODY.PEEK[]", b"FLAGS"])[uid]
    finally:
        client.logout()
    assert fetched[b"BODY[]"] == PARENT_CP1251
    assert b"\\Seen" not in fetched[b"FLAGS"]


def test_bare_lf_message_comes_back_with_crlf(imap_account: ImapAccount) -> None:
    """Dovecot stores an LF-only upload as given but serves CRLF, like any IMAP server."""
    uid = imap_account.append(TEACHER_UTF8)
    fetched = imap_account.fetch(uid)
    assert fetched.replace(b"\r\n", b"\n") == TEACHER_UTF8
    assert b"\r\n" in fetched


def test_wrong_password_is_refused(imap_account: ImapAccount) -> None:
    client = IMAPClient(imap_account.host, port=imap_account.port, ssl=False, timeout=10)
    with pytest.raises(LoginError):
        client.login(imap_account.username, imap_account.password + "x")
    client.shutdown()


def test_two_accounts_are_isolated(dovecot: Dovecot) -> None:
    first, second = dovecot.new_account(), dovecot.new_account()
    assert first.username != second.username

    first.append(PARENT_CP1251)
    first.create_folder("Заявки")

    assert len(first.uids()) == 1
    assert second.uids() == []
    assert not second.folder_exists("Заявки")


def test_named_account_sees_its_mail_on_next_login(dovecot: Dovecot) -> None:
    name = "ezh-help.school-7@school.test"
    dovecot.new_account(name).append(short_note(1))
    assert len(dovecot.new_account(name).uids()) == 1


def test_append_many_keeps_order_across_batches(imap_account: ImapAccount) -> None:
    notes = [short_note(n) for n in range(450)]  # crosses the 200-message MULTIAPPEND batches
    uids = imap_account.append_many(notes)

    assert uids == sorted(uids) and len(set(uids)) == 450
    assert imap_account.uids() == uids
    stored = imap_account.messages()
    assert [stored[uid] for uid in uids] == notes


def test_flags_search_and_peek(imap_account: ImapAccount) -> None:
    read = imap_account.append(short_note(1), flags=["\\Seen"])
    unread = imap_account.append(short_note(2))
    flagged = imap_account.append_many([short_note(3)], flags=["\\Flagged"])[0]

    assert imap_account.uids(criteria="UNSEEN") == [unread, flagged]
    assert imap_account.uids(criteria=["SUBJECT", "question 2"]) == [unread]
    imap_account.messages()  # looking must not mark anything read
    assert imap_account.flags() == {read: {"\\Seen"}, unread: set(), flagged: {"\\Flagged"}}


def test_folders_unicode_and_hierarchy(imap_account: ImapAccount) -> None:
    assert imap_account.folder_exists("INBOX")
    assert not imap_account.folder_exists("Заявки/Закрытые")

    imap_account.create_folder("Заявки/Закрытые")
    uid = imap_account.append(TEACHER_UTF8, folder="Заявки/Закрытые")

    assert imap_account.folder_exists("Заявки/Закрытые")
    assert "Заявки/Закрытые" in imap_account.list_folders()
    assert imap_account.uids("Заявки/Закрытые") == [uid]
    assert imap_account.uids() == []
    assert imap_account.flags("Заявки/Закрытые") == {uid: set()}


def test_dovecot_start_failure_shows_its_log() -> None:
    broken = Dovecot(extra_conf="no_such_setting = 1\n")
    with pytest.raises(ServerError, match="no_such_setting"):
        broken.start(timeout=5)
    assert broken.pid is None and broken.root is None


def test_stop_leaves_no_dovecot_process() -> None:
    with Dovecot() as server:
        account = server.new_account()
        account.append(short_note(1))  # spawn login, auth and imap processes too
        processes = server.processes()
        root = server.root
        assert len(processes) >= 4
    assert root is not None and not root.exists()
    still_running = [pid for pid, start in processes if is_running(pid, start)]
    assert still_running == []


def test_parse_uid_set() -> None:
    assert parse_uid_set("7") == [7]
    assert parse_uid_set("4,7:9") == [4, 7, 8, 9]
    assert parse_uid_set("12:10") == [10, 11, 12]


# ---------------------------------------------------------------------------------------------
# SMTP
# ---------------------------------------------------------------------------------------------


def bot_reply(to: str = "ivanova.m@mail.ru") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Служба поддержки ЭЖ <ezh-help@school.test>"
    message["To"] = to
    message["Subject"] = "[EZH-12] Восстановление пароля"
    message["Message-ID"] = make_msgid(domain="school.test")
    message["Auto-Submitted"] = "auto-replied"
    message.set_content("Здравствуйте, Мария Ивановна!\n\nВаша заявка принята.\n")
    return message


def test_capture_receives_smtplib_message(smtp_server: SmtpCapture) -> None:
    sent = bot_reply()
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as client:
        client.send_message(sent, from_addr="bounces@school.test")

    [got] = smtp_server.wait_for(1, timeout=5)
    assert got.mail_from == "bounces@school.test"
    assert got.rcpt_tos == ("ivanova.m@mail.ru",)
    assert got.message["Subject"] == "[EZH-12] Восстановление пароля"
    assert got.message["Message-ID"] == sent["Message-ID"]
    assert "Ваша заявка принята." in got.message.get_body(("plain",)).get_content()
    assert b"Auto-Submitted: auto-replied" in got.data


def test_fail_next_gives_451_then_accepts(smtp_server: SmtpCapture) -> None:
    smtp_server.fail_next(1)
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as client:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.send_message(bot_reply())
        assert refused.value.smtp_code == 451
        assert refused.value.smtp_error == b"Try again later"
        assert smtp_server.messages == []
        client.send_message(bot_reply())  # the retry on the same connection goes through

    assert len(smtp_server.wait_for(1)) == 1
    assert smtp_server.data_attempts == 2


def test_fail_next_permanent_code(smtp_server: SmtpCapture) -> None:
    smtp_server.fail_next(2, code=554, text="5.7.1 Message rejected as spam")
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as client:
        for _ in range(2):
            with pytest.raises(smtplib.SMTPDataError) as refused:
                client.send_message(bot_reply())
            assert refused.value.smtp_code == 554
        client.send_message(bot_reply())
    assert len(smtp_server.wait_for(1)) == 1


def test_reject_recipient_gives_550(smtp_server: SmtpCapture) -> None:
    smtp_server.reject_recipient("Gone.Teacher@School.test")
    message = bot_reply(to="gone.teacher@school.test, ivanova.m@mail.ru")
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as client:
        refused = client.send_message(message)
        assert refused == {"gone.teacher@school.test": (550, b"No such user")}
        with pytest.raises(smtplib.SMTPRecipientsRefused) as all_refused:
            client.send_message(bot_reply(to="gone.teacher@school.test"))
        assert all_refused.value.recipients["gone.teacher@school.test"][0] == 550

    [got] = smtp_server.wait_for(1)
    assert got.rcpt_tos == ("ivanova.m@mail.ru",)


def test_wait_for_times_out_and_clear_resets(smtp_server: SmtpCapture) -> None:
    with pytest.raises(TimeoutError, match="got 0"):
        smtp_server.wait_for(1, timeout=0.2)

    smtp_server.fail_next(3)
    smtp_server.reject_recipient("ivanova.m@mail.ru")
    smtp_server.clear()
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as client:
        client.send_message(bot_reply())
    assert len(smtp_server.wait_for(1)) == 1
    assert smtp_server.data_attempts == 1


def test_smtp_servers_are_independent() -> None:
    with SmtpCapture() as first, SmtpCapture() as second:
        assert first.port != second.port
        first.fail_next(1)
        with smtplib.SMTP(second.host, second.port, timeout=10) as client:
            client.send_message(bot_reply())
        assert len(second.wait_for(1)) == 1
        assert first.messages == [] and first.data_attempts == 0


# ---------------------------------------------------------------------------------------------
# Databases
# ---------------------------------------------------------------------------------------------


def test_db_url_connects(db_url: str) -> None:
    engine = sqlalchemy.create_engine(db_url)
    try:
        with engine.begin() as connection:
            assert connection.execute(sqlalchemy.text("select 1")).scalar_one() == 1
            connection.execute(sqlalchemy.text("create table probe (subject text)"))
            connection.execute(
                sqlalchemy.text("insert into probe values (:s)"), {"s": "Не приходит пароль"}
            )
        with engine.connect() as connection:
            stored = connection.execute(sqlalchemy.text("select subject from probe")).scalar_one()
        assert stored == "Не приходит пароль"
    finally:
        engine.dispose()


def test_sqlite_url_points_into_tmp_path(sqlite_url: str, tmp_path: Path) -> None:
    assert sqlite_url == f"sqlite:///{tmp_path.resolve()}/mailbot.db"


@pytest.fixture
def dropped_afterwards() -> Iterator[list[str]]:
    """Requested before ``postgres_url``, so it is torn down after it: checks the drop."""
    names: list[str] = []
    yield names
    assert names and not postgres_database_exists(names[0]), f"{names} survived the fixture"


@pytest.fixture
def leaked_connections() -> Iterator[list[psycopg2.extensions.connection]]:
    """Connections a careless test leaves open; closed only after the database is gone."""
    connections: list[psycopg2.extensions.connection] = []
    yield connections
    for connection in connections:
        connection.close()


def test_postgres_database_is_dropped_after_fixture(
    dropped_afterwards: list[str],
    leaked_connections: list[psycopg2.extensions.connection],
    postgres_url: str,
) -> None:
    url = sqlalchemy.make_url(postgres_url)
    assert url.database is not None and url.database.startswith("mailbot_t_")
    assert postgres_database_exists(url.database)
    dropped_afterwards.append(url.database)
    # An open connection would make a plain DROP DATABASE fail; the fixture must cope.
    leaked_connections.append(
        psycopg2.connect(host=url.host, port=url.port, user=url.username, dbname=url.database)
    )


def test_each_postgres_database_is_new() -> None:
    with temporary_postgres_database() as first, temporary_postgres_database() as second:
        assert first != second
    for url in (first, second):
        name = sqlalchemy.make_url(url).database
        assert name is not None and not postgres_database_exists(name)


def test_unreachable_postgres_fails_with_a_clear_message() -> None:
    unreachable = temporary_postgres_database(port=free_port())
    with pytest.raises(ServerError, match=r"PostgreSQL is not reachable at 127\.0\.0\.1:\d+"):
        unreachable.__enter__()
