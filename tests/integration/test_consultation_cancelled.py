"""A consultation the acknowledgement offered, cancelled later in schedule.toml: the user of
the open case hears it once."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

from mailbot.config import load
from mailbot.jobs import periodic
from mailbot.school.rulebook import load_all
from mailbot.worker import mailbox_id
from tests.integration.conftest import ROOT
from tests.integration.mailflow import USER, Sent, deliver, events, text_of
from tests.mailfactory import make_mail

CANCEL_17 = '''[[exception]]
consultation = "ivanova-thu-online"
date = 2026-12-17
action = "cancel"
reason = "в это время семинар № 2 для родителей"
'''


def _schedule(tmp_path: Path, *, cancelled: bool) -> Path:
    text = (ROOT / "config" / "schedule.toml").read_text(encoding="utf-8")
    assert CANCEL_17 in text
    path = tmp_path / ("cancelled.toml" if cancelled else "planned.toml")
    path.write_text(text if cancelled else text.replace(CANCEL_17, ""), encoding="utf-8")
    return path


def test_a_cancelled_consultation_is_announced_once_to_whom_it_was_offered(make_desk, tmp_path) -> None:  # type: ignore[no-untyped-def]
    desk = make_desk(files={"schedule": _schedule(tmp_path, cancelled=False)})
    desk.clock.current = datetime(2026, 12, 14, 5, 0, tzinfo=UTC)  # Monday 10:00 local
    deliver(desk, make_mail(subject="Не могу войти в электронный дневник",
                            body="Я мама ученицы 4 А. Не могу войти в дневник через Госуслуги."))
    desk.send()
    assert "17.12" in text_of(Sent(desk).one("ack", USER[1]))
    assert events(desk, "consultations_offered")

    # The school cancels Thursday's online consultation; the worker starts again.
    edited = tmp_path / "edited.toml"
    edited.write_text(desk.config.source_path.read_text(encoding="utf-8").replace(
        str(tmp_path / "planned.toml"), str(_schedule(tmp_path, cancelled=True))),
        encoding="utf-8")
    app = dataclasses.replace(desk.app, rules=load_all(load(edited)))
    box = mailbox_id(app)
    assert periodic.consultation_cancellations(app, box) == 1
    assert periodic.consultation_cancellations(app, box) == 0  # once
    desk.send()
    told = Sent(desk).one("consultation_cancelled", USER[1])
    assert "отменена" in text_of(told) and "семинар № 2" in text_of(told)
