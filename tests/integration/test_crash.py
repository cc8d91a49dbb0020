"""Power loss mid-poll: SIGKILL the worker at random moments through a backlog.

Asserts that no mail is lost, no case is doubled, and no acknowledgement is sent twice
except in the narrow window between the SMTP server's acceptance and the outbox update —
each such resend is logged as `send_interrupted`, and the duplicates are counted against it.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sqlmodel import func, select

from mailbot.storage import db
from mailbot.storage.models import Case, Event, Message, Outbox
from tests.integration.conftest import write_config
from tests.mailfactory import make_mail

BACKLOG = 200
FOLLOW_UPS = 20
KILLS = 8


def backlog() -> list[bytes]:
    mails = [
        make_mail(
            subject=f"Вопрос {n}: не открывается дневник",
            body=f"Здравствуйте! Это обращение номер {n}. Не могу открыть дневник ребёнка.",
            sender=(f"Родитель {n}", f"parent{n}@mail.example"),
            message_id=f"req{n}@mail.example",
        )
        for n in range(BACKLOG)
    ]
    mails += [
        make_mail(
            subject=f"Re: Вопрос {n}: не открывается дневник",
            body="Дополняю: ошибка появляется и в приложении.",
            sender=(f"Родитель {n}", f"parent{n}@mail.example"),
            message_id=f"follow{n}@mail.example",
            in_reply_to=f"req{n}@mail.example",
        )
        for n in range(FOLLOW_UPS)
    ]
    return mails


def test_sigkill_at_random_moments_loses_and_doubles_nothing(
    tmp_path: Path, db_url: str, imap_account, smtp_server  # type: ignore[no-untyped-def]
) -> None:
    seed = int(os.environ.get("MAILBOT_CRASH_SEED", time.time_ns() % 100_000))
    rng = random.Random(seed)
    print(f"crash test seed: {seed} (MAILBOT_CRASH_SEED to repeat)")
    imap_account.append_many(backlog())
    config = write_config(
        tmp_path, db_url=db_url, imap=imap_account, smtp=smtp_server,
        extra="[limits]\nauto_replies_per_sender = 100\n",
    )
    text = config.read_text(encoding="utf-8").replace(
        "[mailbox]", "[mailbox]\nbatch_size = 7")
    text = text.replace("[worker]", "[worker]\npoll_seconds = 0.3\nsend_seconds = 0.2")
    config.write_text(text, encoding="utf-8")
    command = [sys.executable, "-m", "mailbot", "--config", str(config), "run"]
    log = (tmp_path / "worker.log").open("ab")

    engine = db.make_engine(db_url)
    kills = 0
    for _ in range(KILLS):
        worker = subprocess.Popen(command, stdout=log, stderr=log)
        time.sleep(rng.uniform(0.8, 2.5))
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        kills += 1
        if _acks_done(engine):
            break
    time.sleep(1.2)  # let the send lease of a killed worker expire
    finish = subprocess.run([*command, "--once"], capture_output=True, text=True, timeout=120,
                            check=False)
    assert finish.returncode == 0, finish.stderr

    with db.session(engine) as session:
        ids = session.exec(select(Message.message_id)).all()
        cases = session.exec(select(func.count()).select_from(Case)).one()
        outgoing = session.exec(select(Outbox)).all()
        interrupted = session.exec(
            select(func.count()).select_from(Event).where(Event.kind == "send_interrupted")
        ).one()
    engine.dispose()

    expected = {f"req{n}@mail.example" for n in range(BACKLOG)}
    expected |= {f"follow{n}@mail.example" for n in range(FOLLOW_UPS)}
    assert set(ids) == expected, "no mail lost"
    assert len(ids) == len(expected), "no message stored twice"
    assert cases == BACKLOG, "no case doubled, follow-ups joined their cases"
    acks = [row for row in outgoing if row.kind == "ack"]
    assert len(acks) == BACKLOG and len({a.case_id for a in acks}) == BACKLOG
    assert all(row.status == "sent" for row in outgoing), "every mail, not only acks, sent"
    flags = imap_account.flags()
    assert len(flags) == BACKLOG + FOLLOW_UPS
    assert all("\\Seen" in f for f in flags.values()), "every mail marked after its commit"

    # A long Message-ID is folded onto its own header line: compare without the fold.
    delivered = Counter(m.message["Message-ID"].strip() for m in smtp_server.messages)
    assert set(delivered) == {f"<{row.message_id}>" for row in outgoing}, "all delivered"
    duplicates = sum(n - 1 for n in delivered.values())
    print(f"kills: {kills}; mails sent twice in the accepted-but-not-recorded "
          f"window: {duplicates}; interrupted sends logged: {interrupted}")
    assert duplicates <= interrupted


def _acks_done(engine) -> bool:  # type: ignore[no-untyped-def]
    try:
        with db.session(engine) as session:
            total = session.exec(select(func.count()).select_from(Message)).one()
            pending = session.exec(
                select(func.count()).select_from(Outbox).where(Outbox.status != "sent")
            ).one()
        return total >= BACKLOG + FOLLOW_UPS and pending == 0
    except Exception:  # noqa: BLE001 — the schema may not exist yet
        return False
