"""Issue 12 through real servers (Dovecot, aiosmtpd, SQLite and PostgreSQL): mail from a
staff address that cannot be believed stays marked and acts on nothing; the vendor gets only
what its rules ask for, and the helper sees exactly that; risky attachments stay behind."""

from __future__ import annotations

import email
import io
import zipfile
from email import policy
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from sqlmodel import func, select

from mailbot import views
from mailbot.jobs import digests
from mailbot.jobs.figures import current_week
from mailbot.storage import db, store
from mailbot.storage.models import Attachment, Case
from tests.integration.mailflow import (
    IVANOVA,
    PETROVA,
    USER,
    Sent,
    case_row,
    deliver,
    reply_to,
    text_of,
)
from tests.mailfactory import make_mail

KUZNETSOV = ("Кузнецов Алексей Викторович", "a.kuznetsov@school.example")
VENDOR = ("СТП ЭПОС", "support@epos.example")
UNCONFIRMED = "Не подтверждено: письмо с адреса a.kuznetsov@school.example без подписи службы"


def with_files(raw: bytes, *files: tuple[str, str, bytes]) -> bytes:
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    for name, content_type, data in files:
        maintype, subtype = content_type.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def zipped(*entries: tuple[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return out.getvalue()


def count_cases(desk) -> int:  # type: ignore[no-untyped-def]
    with db.session(desk.app.engine) as session:
        return session.exec(select(func.count(Case.id))).one()


def test_a_forged_staff_mail_with_only_the_tag_acts_on_nothing(desk) -> None:  # type: ignore[no-untyped-def]
    deliver(desk, make_mail(sender=("Олег Смирнов", "oleg.smirnov@mail.example"),
                            body="Не могу войти в электронный дневник, пишет неверный пароль."))
    deliver(desk, make_mail(body="Здравствуйте! Не могу зайти в дневник через Госуслуги, "
                                 "пишет ошибка. Логин: petrova_anna"))
    assert case_row(desk, 2).requester_addr == USER[1]
    notice = Sent(desk).of("notice", IVANOVA[1])[-1]
    assert "[ЭЖ #2]" in notice["Subject"]

    # Two forged mails: a staff member's From and only «[ЭЖ #2]» in the subject.
    deliver(desk, make_mail(subject="[ЭЖ #2]", sender=KUZNETSOV,
                            body="#закрыть\nВопрос решён, пароль сброшен."))
    deliver(desk, make_mail(subject="Re: [ЭЖ #2]", sender=KUZNETSOV,
                            body="Повторяю: всё решено, обращение закрыто."))
    sent = Sent(desk)
    assert count_cases(desk) == 2  # no junk case
    assert case_row(desk, 2).status == "assigned"
    assert sent.of("ack", KUZNETSOV[1]) == [] and sent.of("closing") == []
    assert sent.of("relay") == []
    told = text_of(sent.one("unverified", KUZNETSOV[1]))  # told once, not twice
    assert "самое последнее наше уведомление" in told and "№ 2" in told
    followups = sent.of("followup", IVANOVA[1])
    assert len(followups) == 2 and UNCONFIRMED in text_of(followups[0])

    # The user complains about the helper: the supervisor's history marks the forged mail.
    deliver(desk, reply_to(sent.one("ack", USER[1]), sender=USER,
                           body="Хочу пожаловаться на Иванову: она грубо мне ответила и не "
                                "помогла."))
    history = text_of(Sent(desk).one("complaint", PETROVA))
    assert history.count(UNCONFIRMED) == 2 and "Вопрос решён" in history
    assert "Специалист:" not in history and KUZNETSOV[0] not in history

    # The helper escalates: the vendor gets the user's question and her words, nothing else.
    deliver(desk, reply_to(notice, sender=IVANOVA,
                           body="#сэдиж\nПароль сбрасывали дважды, ошибка остаётся."))
    sent = Sent(desk)
    request = text_of(sent.one("vendor_request", VENDOR[1]))
    assert "petrova_anna" in request and "ошибка остаётся" in request
    for never in ("Вопрос решён", "Повторяю", "пожаловаться", "грубо", "a.kuznetsov"):
        assert never not in request, never
    confirmation = text_of(sent.one("vendor_sent", IVANOVA[1]))
    assert "petrova_anna" in confirmation and "ошибка остаётся" in confirmation
    assert "письма с адресов сотрудников без подписи службы (не подтверждено): 2" in confirmation
    assert "жалобы пользователя на сотрудников: 1" in confirmation

    # `mailbot case 2` and the week's digest show it too (the digest without names).
    shown = views.case_text(desk.app, 2)
    assert shown is not None and shown.count("НЕ ПОДТВЕРЖДЕНО [unverified]") == 2
    assert "kuznetsov [" not in shown
    with db.session(desk.app.engine) as session:
        box = store.mailbox_row(session, desk.app.mailbox_name)
    assert box is not None and box.id is not None
    zone = ZoneInfo(desk.app.config.helpdesk.timezone)
    digest = digests.admin_rendered(desk.app, box.id, current_week(desk.clock.now(), zone))
    line = next(x for x in digest.text.splitlines() if "Письма без подписи службы" in x)
    assert line.split()[-1] == "2" and "kuznetsov" not in digest.text


def test_risky_attachments_are_kept_but_never_passed_on(desk) -> None:  # type: ignore[no-untyped-def]
    deliver(desk, with_files(
        make_mail(body="Не могу войти в дневник: прикладываю снимок экрана и документы."),
        ("снимок.png", "image/png", b"\x89PNG\r\n\x1a\n fake"),
        ("документы.zip", "application/zip", zipped(("1.jpg", b"\xff\xd8"),
                                                    ("setup.exe", b"MZ\x90\x00"))),
        ("табель.docm", "application/vnd.ms-word.document.macroEnabled.12",
         zipped(("word/document.xml", b"<w/>"), ("word/vbaProject.bin", b"\x00")))))
    notice = Sent(desk).one("notice", IVANOVA[1])
    assert [p.get_filename() for p in notice.iter_attachments()] == ["снимок.png"]
    body = text_of(notice)
    assert ("вложение «документы.zip» не переслано: архив, в котором лежит исполняемый файл "
            "«setup.exe»; оно хранится в службе помощи") in body
    assert "вложение «табель.docm» не переслано: документ с макросами" in body
    with db.session(desk.app.engine) as session:  # kept with the mail
        kept = session.exec(select(Attachment.filename)).all()
    assert sorted(kept) == ["документы.zip", "снимок.png", "табель.docm"]

    # The helper escalates with a file of her own and gets the list of what went.
    deliver(desk, with_files(
        reply_to(notice, sender=IVANOVA, body="#сэдиж\nПрикладываю выписку из журнала."),
        ("выписка.pdf", "application/pdf", b"%PDF-1.7 fake")))
    sent = Sent(desk)
    request = sent.one("vendor_request", VENDOR[1])
    assert [p.get_filename() for p in request.iter_attachments()] == ["снимок.png",
                                                                     "выписка.pdf"]
    assert "- снимок.png\n- выписка.pdf" in text_of(request)
    confirmation = text_of(sent.one("vendor_sent", IVANOVA[1]))
    assert "Вложения:\n- снимок.png\n- выписка.pdf" in confirmation
    assert ("вложение «документы.zip»: архив, в котором лежит исполняемый файл «setup.exe»; "
            "оно хранится в службе помощи") in confirmation
    assert "вложение «табель.docm»: документ с макросами" in confirmation
