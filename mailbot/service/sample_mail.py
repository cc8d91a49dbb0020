"""Sample data for every template, so `mailbot check` renders each one before a real mail
needs it: a school's own template with a typo or an unknown variable fails here, with its
name, not later in the quarantine.

The contexts mirror what the flows pass (replies.common for every mail about a case, the
person fields of a helper's mail, the digest's figures computed from two sample cases).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mailbot.app import App
from mailbot.desk.commands import helper_guide
from mailbot.district import digest as district
from mailbot.district.deployment import District
from mailbot.jobs.figures import CaseRow, DigestInputs, compute, context, iso_week_bounds
from mailbot.outgoing.replies import common
from mailbot.school.workcal import default_calendar
from mailbot.storage.models import Case

NOW = datetime(2026, 12, 9, 6, 0, tzinfo=UTC)
WHEN = "08.12.2026 11:00"
SLOT = "вт 15.12.2026 15:00–16:00, семинар № 3 «Электронный журнал: отметки», каб. 12"
ARTICLE = {"title": "Как войти через Госуслуги", "url": "https://school.example/help/vhod"}
HELPER = {"helper_name": "Иванова Надежда Павловна", "helper_position": "администратор ЭЖ",
          "helper_address": ""}
PERSON = {"person_name": "Надежда Павловна", "person_full_name": "Иванова Надежда Павловна",
          "person_position": "администратор ЭЖ"}
HISTORY = [{"when": WHEN, "who": "Анна Петрова", "kind": "question",
            "text": "Не могу войти в дневник."}]
QUESTION = {"question": "Не могу войти в электронный дневник: пишет «неверный пароль».",
            "attachment_names": ["screen.png"], "findings": [], "articles": [ARTICLE],
            "consultations": [SLOT], "received_local": WHEN,
            "withheld": [{"name": "setup.exe", "why": "исполняемый файл", "kept": True}]}
SENT = {"vendor_name": "служба поддержки ЭПОС", "vendor_address": "support@epos.example",
        "question": "Не могу войти.", "note": "Пароль сбрасывали.", "login": "ivanova_anna",
        "school_code": "59-001", "territory": "Пермский край", "role_label": "родитель",
        "attachment_names": ["screen.png"],
        "withheld": ["вложение «setup.exe»: исполняемый файл; оно хранится в службе помощи",
                     "внутренние заметки: 1"]}

# Per template, what its flow adds to the common context (replies.common and, for a mail
# to a helper, PERSON).
EXTRA: dict[str, dict[str, object]] = {
    "ack": {**QUESTION, "complaint_to": "", "to_vendor": False,
            "helper_position": "администратор ЭЖ"},
    "closing": {**HELPER, "answer": "Пароль сброшен, войдите ещё раз."},
    "complaint": {**PERSON, **HELPER, "complaint": "Мне грубо ответили.", "history": HISTORY},
    "complaint_received": {"supervisor_position": "заместитель директора"},
    "consultation_cancelled": {"slot": SLOT, "note": "педагогический совет"},
    "followup": {**PERSON, **QUESTION, "unverified": "", "reopened": False, "stopped": False,
                 "undelivered": []},
    "guide": {**PERSON},
    "held": {**PERSON, "answer": "Текст ответа.", "findings": ["слово"]},
    "notice": {**PERSON, **QUESTION, "transferred_from": "", "comment": "", "about": "",
               "is_complaint": False, "linked_case": None, "role_label": "родитель",
               "category_label": "Вход в систему", "history": HISTORY, "undelivered": [],
               "vendor_sent": SENT},
    "problem": {**PERSON, "problems": ["#передать: не найден сотрудник «Сидорова»"]},
    "relay": {**HELPER, "answer": "Пароль сброшен.", "waiting": False},
    "seminar_reminder": {"person_name": "Анна Петрова", "slot": SLOT, "slot_number": 3,
                         "slot_title": "Электронный журнал: отметки"},
    "seminar_changed": {"person_name": "Анна Петрова", "slot": SLOT, "slot_number": 3,
                        "slot_title": "Электронный журнал: отметки", "cancelled": False,
                        "was": WHEN},
    "service_reply": {"lines": ["Вы подписаны на рассылку расписания."],
                      "summary": "Вы подписаны на рассылку расписания"},
    "sla_reminder": {**PERSON, "hours": "8 ч", "limit": "8 ч"},
    "sla_supervisor": {**PERSON, **HELPER, "hours": "16 ч", "limit": "16 ч",
                       "opened_local": WHEN},
    "stop_report": {**PERSON, **HELPER, "history": HISTORY, "note": "", "opened_local": WHEN,
                    "stopped_local": WHEN, "passages": ["грубое слово"]},
    "stopped": {},
    "undeliverable": {**PERSON, "rcpt": "anna.petrova@mail.example", "returned_kind": "ack",
                      "own_answer": False, "status": "5.1.1", "diagnostic": "User unknown",
                      "permanent": True},
    "unverified": {**PERSON, "from_addr": "n.ivanova@school.example", "doubt": "token"},
    "vendor_answer": {**PERSON, "answer": "Учётная запись разблокирована.", "relayed": False,
                      "ticket": "SD-1234", "unverified": False, "withheld": [],
                      "vendor_name": "служба поддержки ЭПОС"},
    "vendor_relay": {"answer": "Учётная запись разблокирована."},
    "vendor_reminder": {**PERSON, "days": "3 рабочих дня", "escalated_local": WHEN,
                        "ticket": "SD-1234", "vendor_name": "служба поддержки ЭПОС"},
    "vendor_request": {**HELPER, "question": "Не могу войти.", "note": "", "login": "",
                       "school_code": "", "territory": "", "role_label": "родитель",
                       "first_at": WHEN, "attachment_names": ["screen.png"]},
    "vendor_sent": {**PERSON, "sent": SENT},
}


def sample_case() -> Case:
    return Case(id=42, number=42, mailbox_id=1, subject="Не могу войти в дневник",
                requester_addr="anna.petrova@mail.example", requester_name="Анна Петрова",
                status="assigned", created_at=NOW, updated_at=NOW, category="login",
                role="parent", assignee="ivanova")


def contexts(app: App) -> dict[str, dict[str, object]]:
    """The sample context of every template mailbot renders, by template name."""
    about_case = common(app, sample_case())
    out = {name: {**about_case, "commands": helper_guide(), **extra}
           for name, extra in EXTRA.items()}
    out["digest"] = _digest(app)
    out["district_digest"] = _district_digest(app)
    out["schedule_digest"] = {**common(app), "week": "2026-W51",
                              "week_label": "14.12 – 20.12.2026",
                              "slots": [{"line": SLOT, "cancelled": False, "seminar": 3}]}
    return out


def _digest(app: App) -> dict[str, object]:
    zone = app.config.helpdesk.timezone
    calendar = app.rules.calendar or default_calendar(zone)
    start, end = iso_week_bounds("2026-W49", calendar.zone)
    day = start + timedelta(days=1, hours=10)
    rows = [
        CaseRow(1, day, day + timedelta(hours=3), "closed", "login", "parent", "ivanova",
                day + timedelta(hours=1), None, None, False),
        CaseRow(2, day, None, "waiting_vendor", "marks", "teacher", "ivanova", None,
                day + timedelta(hours=2), None, True),
    ]
    inputs = DigestInputs(week="2026-W49", start=start, end=end, cases=rows,
                          incidents={"flagged": 1}, undelivered=1, quarantined=1, unverified=1,
                          names={"ivanova": "Иванова Н. П."},
                          category_titles={"login": "Вход", "marks": "Отметки"})
    sla = app.config.sla
    targets = {"default": (sla.reminder_hours, sla.supervisor_hours), **sla.categories}
    figures = compute(inputs, calendar, targets, end + timedelta(days=1))
    helpdesk = app.config.helpdesk
    return {**common(app), **context(figures, helpdesk_name=helpdesk.name,
                                     school=helpdesk.school)}


def _district_digest(app: App) -> dict[str, object]:
    """Two schools side by side, one without figures (mailbot/district/digest.py)."""
    calendar = app.rules.calendar or default_calendar(app.config.helpdesk.timezone)
    start, end = iso_week_bounds("2026-W49", calendar.zone)
    day = start + timedelta(days=1, hours=10)
    rows = [CaseRow(1, day, day + timedelta(hours=3), "closed", "login", "parent", "ivanova",
                    day + timedelta(hours=1), None, None, False)]
    inputs = DigestInputs(week="2026-W49", start=start, end=end, cases=rows, incidents={},
                          undelivered=0, quarantined=0, names={}, category_titles={})
    figures = compute(inputs, calendar, {"default": (8, 16)}, end + timedelta(days=1))
    schools = [district.SchoolWeek("МБОУ «Большесосновская СОШ»", figures),
               district.SchoolWeek("МАОУ «Гимназия № 2»", None, "не задан календарь школы")]
    return district.context(District(name="Отдел образования"), "2026-W49", schools)
