"""The weekly digest: figures checked by hand on a small week with a holiday and a weekend,
an empty week, ISO week parsing, and both templates (Russian, escaped, no requester data).

The week is 2026-W45, 2–8 November 2026 (Asia/Yekaterinburg, office 08:00–17:00):
Monday 2 is a full day, Tuesday 3 is short (08:00–16:00, before the holiday), Wednesday 4
is Unity Day (a day off), Thursday 5 and Friday 6 are full days, then the weekend.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mailbot.jobs.figures import (
    CaseRow,
    Digest,
    DigestInputs,
    compute,
    context,
    current_week,
    days_ru,
    hours_ru,
    iso_week_bounds,
    nearest_rank,
    short_title,
    week_label,
)
from mailbot.outgoing.compose import Templates
from mailbot.school.workcal import WorkCalendar, load_calendar

ROOT = Path(__file__).resolve().parents[2]
EKB = ZoneInfo("Asia/Yekaterinburg")
TARGETS = {"login": (4.0, 8.0), "marks": (8.0, 16.0), "default": (8.0, 16.0)}
NAMES = {"ivanova": "Иванова Н. П.", "petrova": "Петрова А. С."}
TITLES = {
    "login": "Вход: пароль, Госуслуги (ЕСИА), учётная запись",
    "marks": "Текущие оценки, отметки, «н», пропуски",
    "homework": "Домашнее задание: не видно, файлы, сдача работ",
    "app_outage": "Сайт или приложение «Моя школа» не работают, уведомления",
    "complaint": "Жалоба на сотрудника",
    "reports": "Отчёты, сводные ведомости, выгрузки",
    "planning": "КТП, тематическое планирование",
}


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return load_calendar(ROOT / "config" / "calendar.toml")


@pytest.fixture(scope="module")
def templates() -> Templates:
    return Templates(ROOT / "templates")


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    """A moment of autumn 2026 in the school's zone, stored as the database returns it."""
    return datetime(2026, month, day, hour, minute, tzinfo=EKB).astimezone(UTC)


def row(case_id: int, created: datetime, category: str, *, status: str = "assigned",
        closed: datetime | None = None, role: str = "parent", assignee: str = "ivanova",
        answered: datetime | None = None, escalated: datetime | None = None,
        vendor: datetime | None = None, flagged: bool = False) -> CaseRow:
    return CaseRow(id=case_id, created_at=created, closed_at=closed, status=status,
                   category=category, role=role, assignee=assignee, first_response_at=answered,
                   escalated_at=escalated, vendor_answered_at=vendor, flagged=flagged)


# Working hours are worked out in the comments; "end" is Monday 9 November 00:00.
CASES = (
    # Fri 16:00 → Mon 09:00: 1 h on Friday + 1 h on Monday = 2 h; closed in the week.
    row(101, at(30, 16, month=10), "login", status="closed", closed=at(3, 10), answered=at(2, 9)),
    # Half an hour, still open.
    row(102, at(2, 10), "login", role="student", answered=at(2, 10, 30)),
    # Tue 15:00, never answered: Tue 1 h (short day) + Wed 0 (holiday) + Thu 9 + Fri 9 = 19 h.
    row(103, at(3, 15), "marks", assignee="petrova"),
    # Fri 14:00, unanswered: 3 h; the weekend adds nothing, so under the 4 h of login.
    row(104, at(6, 14), "login"),
    # Tue 09:00 → Thu 09:00: 7 h + 0 + 1 h = 8 h, exactly the default target.
    row(105, at(3, 9), "homework", status="closed", closed=at(6, 12), role="teacher",
        assignee="petrova", answered=at(5, 9)),
    # Sent to the vendor Mon 12:00, answered Thu 15:00 (Tue, Thu: 2 working days); the helper
    # replied Thu 16:00: Mon 6 h + Tue 8 h + Thu 8 h = 22 h.
    row(106, at(2, 11), "app_outage", escalated=at(2, 12), vendor=at(5, 15),
        answered=at(5, 16)),
    # With the vendor since Thu 10:30, no answer: one working day (Friday) at the week's end;
    # 16 working hours unanswered, but not overdue: the school has acted.
    row(107, at(5, 10), "app_outage", status="waiting_vendor", role="teacher",
        escalated=at(5, 10, 30)),
    # Opened the week before, stopped under clause 5 on Wednesday.
    row(108, at(26, 10, month=10), "complaint", status="stopped", closed=at(4, 12),
        answered=at(26, 11, month=10), flagged=True),
    # Closed long before the week: not part of it.
    row(109, at(19, 10, month=10), "marks", status="closed", closed=at(20, 10, month=10)),
    # Created after the week.
    row(110, at(9, 9), "marks"),
    # Thu 08:00, answered only after the week: Thu 9 + Fri 9 = 18 h, nobody assigned.
    row(111, at(5, 8), "marks", status="new", role="unknown", assignee="",
        answered=at(9, 10)),
    # Opened and closed on Friday morning.
    row(112, at(6, 9), "planning", status="closed", closed=at(6, 9, 30), role="teacher",
        assignee="petrova"),
    # Fri 08:00, unanswered: 9 h, past the 8 h reminder but not the 16 h supervisor time.
    row(113, at(6, 8), "reports", role="staff", flagged=True),
)


def inputs(cases: tuple[CaseRow, ...] = CASES, **changes: object) -> DigestInputs:
    start, end = iso_week_bounds("2026-W45", EKB)
    base = DigestInputs(
        week="2026-W45", start=start, end=end, cases=cases,
        incidents={"flagged": 2, "stopped": 1}, undelivered=1, quarantined=0,
        names=NAMES, category_titles=TITLES,
    )
    return dataclasses.replace(base, **changes)


@pytest.fixture(scope="module")
def digest(cal: WorkCalendar) -> Digest:
    return compute(inputs(), cal, TARGETS, now=at(9, 7))


# ------------------------------------------------------------------ weeks


def test_iso_week_bounds_are_local_mondays() -> None:
    start, end = iso_week_bounds("2026-W48", EKB)
    assert start == datetime(2026, 11, 23, tzinfo=EKB)
    assert end == datetime(2026, 11, 30, tzinfo=EKB)
    assert start.astimezone(UTC) == datetime(2026, 11, 22, 19, tzinfo=UTC)
    assert iso_week_bounds(" 2026-w48 ", EKB) == (start, end)
    # ISO week 1 of 2027 starts on Monday 4 January; 2026 has 53 weeks.
    assert iso_week_bounds("2027-W01", EKB)[0].date().isoformat() == "2027-01-04"
    assert iso_week_bounds("2026-W53", EKB)[0].date().isoformat() == "2026-12-28"


@pytest.mark.parametrize(("week", "message"), [
    ("2026-48", "bad week '2026-48': expected an ISO week like \"2026-W48\""),
    ("неделя 48", "bad week 'неделя 48': expected an ISO week like \"2026-W48\""),
    ("2026-W", "bad week '2026-W': expected an ISO week like \"2026-W48\""),
    ("", "bad week '': expected an ISO week like \"2026-W48\""),
    ("2025-W53", "bad week '2025-W53': 2025 has no week 53"),
    ("2026-W00", "bad week '2026-W00': 2026 has no week 0"),
    ("2026-W54", "bad week '2026-W54': 2026 has no week 54"),
])
def test_bad_weeks_are_one_line(week: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        iso_week_bounds(week, EKB)
    assert str(caught.value) == message


def test_current_week_uses_the_school_zone() -> None:
    # Sunday 29 November 20:00 UTC is already Monday 30 November 01:00 in Yekaterinburg.
    assert current_week(datetime(2026, 11, 29, 20, 0, tzinfo=UTC), EKB) == "2026-W49"
    assert current_week(datetime(2026, 11, 29, 18, 59, tzinfo=UTC), EKB) == "2026-W48"
    assert current_week(datetime(2026, 11, 29, 20, 0), EKB) == "2026-W49"  # naive is UTC
    assert current_week(datetime(2027, 1, 2, 12, tzinfo=UTC), EKB) == "2026-W53"


@pytest.mark.parametrize(("week", "label"), [
    ("2026-W48", "23–29 ноября 2026"),
    ("2026-W49", "30 ноября – 6 декабря 2026"),
    ("2026-W53", "28 декабря 2026 – 3 января 2027"),
    ("2027-W09", "1–7 марта 2027"),
])
def test_week_labels(week: str, label: str) -> None:
    assert week_label(*iso_week_bounds(week, EKB)) == label


# ------------------------------------------------------------------ statistics


def test_nearest_rank_percentile() -> None:
    ten = [5.0, 1.0, 9.0, 3.0, 7.0, 2.0, 10.0, 4.0, 8.0, 6.0]
    assert nearest_rank(ten, 90) == 9.0  # rank ceil(9.0) = 9
    assert nearest_rank(ten, 91) == 10.0  # rank ceil(9.1) = 10
    assert nearest_rank(ten, 50) == 5.0
    assert nearest_rank([4.5], 90) == 4.5
    assert nearest_rank(list(range(1, 21)), 90) == 18
    assert nearest_rank([], 90) is None
    with pytest.raises(ValueError):
        nearest_rank(ten, 0)


# ------------------------------------------------------------------ the hand-built week


def test_counts(digest: Digest) -> None:
    assert digest.as_of == datetime(2026, 11, 9, tzinfo=EKB)  # a past week: its end
    assert (digest.opened, digest.closed, digest.stopped) == (9, 3, 1)
    assert digest.open_at_end == 7  # 102, 103, 104, 106, 107, 111, 113
    assert digest.flagged_open == 1  # 113; 108 was stopped


def test_first_response_in_working_hours(digest: Digest) -> None:
    # 102: 0.5, 101: 2, 105: 8, 106: 22 (108 was answered the week before, 111 after).
    assert digest.responses == 4
    assert digest.median_response == pytest.approx(5.0)  # (2 + 8) / 2
    assert digest.p90_response == pytest.approx(22.0)  # rank ceil(3.6) = 4
    assert digest.on_time == 3  # 106 took 22 h against 8


def test_overdue_counts_only_working_time(digest: Digest) -> None:
    found = [(o.case_id, round(o.waited_hours, 2), o.target_hours, o.past_supervisor)
             for o in digest.overdue]
    assert found == [
        (103, 19.0, 8.0, True),  # the holiday on Wednesday does not count
        (111, 18.0, 8.0, True),
        (113, 9.0, 8.0, False),
    ]
    assert [(o.category, o.assignee) for o in digest.overdue] == [
        (TITLES["marks"], "Петрова А. С."), (TITLES["marks"], "не назначено"),
        (TITLES["reports"], "Иванова Н. П."),
    ]


def test_overdue_in_the_middle_of_the_week(cal: WorkCalendar) -> None:
    # Friday 12:00: 103 has waited Tue 1 + Thu 9 + Fri 4 = 14 h, 111 Thu 9 + Fri 4 = 13 h,
    # 113 only 4 h; 104 does not exist yet and 106 was answered on Thursday.
    middle = compute(inputs(), cal, TARGETS, now=at(6, 12))
    assert middle.as_of == at(6, 12)
    assert [(o.case_id, o.waited_hours, o.past_supervisor) for o in middle.overdue] == [
        (103, 14.0, False), (111, 13.0, False)]


def test_overdue_is_not_fooled_by_weekend_or_holiday(cal: WorkCalendar) -> None:
    # Asked on Tuesday 3 November at 12:00 about login (4 h): Tue 12–16 is 4 h already.
    # Asked on Friday 30 October at 16:00: Fri 1 h + Mon 2 November 08–11 3 h = 4 h by 11:00.
    cases = (row(1, at(3, 12), "login"), row(2, at(30, 16, month=10), "login"),
             row(3, at(3, 13), "login"))
    digest = compute(inputs(cases), cal, TARGETS, now=at(2, 11))
    assert [o.case_id for o in digest.overdue] == [2]
    later = compute(inputs(cases), cal, TARGETS, now=at(5, 8))  # Thursday 08:00
    # 2: Fri 1 + Mon 9 + Tue 8 = 18 h; 1: Tue 12–16 = 4 h; 3: Tue 13–16 = 3 h, not yet.
    assert [(o.case_id, o.waited_hours) for o in later.overdue] == [(2, 18.0), (1, 4.0)]


def test_categories_helpers_and_roles(digest: Digest) -> None:
    lines = {c.category: (c.opened, c.closed, c.open) for c in digest.categories}
    assert lines == {
        "login": (2, 1, 2), "app_outage": (2, 0, 2), "marks": (2, 0, 2),
        "homework": (1, 1, 0), "planning": (1, 1, 0), "reports": (1, 0, 1),
    }  # 108 (complaint) was only stopped: no line of its own
    # Most new first, then most open, then by title: «Вход», «Сайт…», «Текущие оценки».
    assert [c.category for c in digest.categories][:3] == ["login", "app_outage", "marks"]
    helpers = {h.name: (h.cases, h.closed, h.open, h.median_response, h.overdue)
               for h in digest.helpers}
    assert helpers == {
        # 101, 102, 104, 106, 107, 108, 113; responses 2, 0.5, 22 → median 2.
        "Иванова Н. П.": (7, 1, 5, 2.0, 1),
        "Петрова А. С.": (3, 2, 1, 8.0, 1),  # 103, 105, 112
        "не назначено": (1, 0, 1, None, 1),  # 111
    }
    assert digest.helpers[-1].person == ""
    assert digest.roles == (("parent", 3), ("student", 1), ("teacher", 3), ("staff", 1),
                            ("unknown", 1))


def test_vendor_figures(digest: Digest) -> None:
    vendor = digest.vendor
    assert (vendor.escalated, vendor.answered, vendor.median_days, vendor.max_days) == (
        2, 1, 2, 2)
    assert [(w.case_id, w.working_days) for w in vendor.waiting] == [(107, 1)]


def test_incidents_and_mail(cal: WorkCalendar, digest: Digest) -> None:
    assert digest.incidents == (("flagged", 2), ("held", 0), ("stopped", 1), ("complaints", 0))
    assert (digest.undelivered, digest.quarantined) == (1, 0)
    with pytest.raises(ValueError, match="^incidents: unknown kind 'rude'"):
        compute(inputs(incidents={"rude": 1}), cal, TARGETS, now=at(9, 7))


def test_empty_week(cal: WorkCalendar) -> None:
    empty = compute(inputs((), incidents={}, undelivered=0), cal, TARGETS, now=at(16, 9))
    assert (empty.opened, empty.closed, empty.stopped, empty.open_at_end) == (0, 0, 0, 0)
    assert (empty.responses, empty.median_response, empty.p90_response) == (0, None, None)
    assert empty.overdue == empty.categories == empty.helpers == empty.roles == ()
    assert empty.vendor.median_days is None and empty.vendor.waiting == ()


def test_a_week_that_has_not_begun(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="^week 2026-W45 has not begun"):
        compute(inputs(), cal, TARGETS, now=at(1, 12))


def test_unknown_category_uses_the_default_target(cal: WorkCalendar) -> None:
    cases = (row(1, at(2, 8), "personal_data"),)  # 9 h on Monday
    strict = {"default": (10.0, 20.0)}
    assert compute(inputs(cases), cal, strict, now=at(3, 8)).overdue == ()
    assert len(compute(inputs(cases), cal, {}, now=at(3, 8)).overdue) == 1  # built-in 8 h


# ------------------------------------------------------------------ formatting


def test_russian_numbers() -> None:
    assert hours_ru(2.26) == "2,3 ч"
    assert hours_ru(19.0) == "19,0 ч"
    assert hours_ru(None) == "—"
    assert days_ru(1) == "1 рабочий день"
    assert days_ru(3) == "3 рабочих дня"
    assert days_ru(11) == "11 рабочих дней"
    assert days_ru(21) == "21 рабочий день"
    assert days_ru(1.5) == "1,5 рабочих дня"


def test_short_titles_fit_a_phone_column() -> None:
    assert short_title("Вход: пароль, Госуслуги (ЕСИА), учётная запись") == "Вход"
    assert short_title("КТП, тематическое планирование") == "КТП"
    assert short_title("Сайт или приложение «Моя школа» не работают, уведомления") == (
        "Сайт или приложение…")
    assert len(short_title("x" * 40)) == 24


# ------------------------------------------------------------------ templates


def render(templates: Templates, digest: Digest, school: str = "МАОУ «СОШ № 7» г. Перми"):
    return templates.render("digest", **context(
        digest, helpdesk_name="Служба помощи по электронному журналу", school=school))


def test_templates_render_both_parts(templates: Templates, digest: Digest) -> None:
    rendered = render(templates, digest)
    assert rendered.subject == "Сводка службы помощи за неделю 2–8 ноября 2026"
    text = rendered.text
    assert "Неделя ещё идёт" not in text
    for needle in ("Новых обращений", "Половина ответов — не дольше", "5,0 ч", "22,0 ч",
                   "Ответили в срок", "3 из 4", "Петрова А. С.", "не назначено",
                   "1 рабочий день", "Письма пользователей с грубостью", "mailbot case НОМЕР"):
        assert needle in text, needle
    assert re.search(r"^\s+103\s+19,0 ч\s+Петрова А\. С\.\s+Текущие оценки \(!\)$", text,
                     re.MULTILINE)
    assert re.search(r"^\s+113\s+9,0 ч\s+Иванова Н\. П\.\s+Отчёты$", text, re.MULTILINE)
    html = rendered.html
    assert "max-width:600px" in html and "<style" not in html and "<script" not in html
    assert "<img" not in html and "<svg" not in html
    assert "№ 103" in html and "пора руководителю" in html
    # Bars are table cells as wide as their share of the longest bar.
    assert 'width="50%" height="14" style="background:#3b6fb6;' in html
    assert 'width="33%" height="14" style="background:#6e8f3a;' in html


def test_bars_are_proportional(digest: Digest) -> None:
    ctx = context(digest, helpdesk_name="Служба помощи", school="")
    # login, app_outage and marks have 2 new cases each, the others 1.
    assert [row["bar"] for row in ctx["categories"]] == [100, 100, 100, 50, 50, 50]
    # parent 3, student 1, teacher 3, staff 1, unknown 1.
    assert [row["bar"] for row in ctx["roles"]] == [100, 33, 100, 33, 33]


def test_text_columns_line_up(templates: Templates, digest: Digest) -> None:
    text = render(templates, digest).text
    block = text.split("ПО РАЗДЕЛАМ\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert len(block) == 1 + len(digest.categories)
    assert len({len(line) for line in block}) == 1, block


def test_a_week_in_progress_says_so(cal: WorkCalendar, templates: Templates) -> None:
    middle = compute(inputs(), cal, TARGETS, now=at(6, 12))
    rendered = render(templates, middle)
    assert "Неделя ещё идёт: цифры на 06.11.2026 12:00." in rendered.text
    assert "Открыто сейчас" in rendered.text
    assert "Неделя ещё идёт" in rendered.html


def test_empty_week_renders_politely(cal: WorkCalendar, templates: Templates) -> None:
    empty = compute(inputs((), incidents={}, undelivered=0), cal, TARGETS, now=at(16, 9))
    rendered = render(templates, empty, school="")
    assert "За неделю первых ответов не было." in rendered.text
    assert "БЕЗ ОТВЕТА" not in rendered.text and "ПО РАЗДЕЛАМ" not in rendered.text
    assert "За неделю первых ответов не было." in rendered.html
    assert "None" not in rendered.text + rendered.html


def test_html_escapes_names_and_titles(cal: WorkCalendar, templates: Templates) -> None:
    sneaky = inputs(names={"ivanova": "<b>Иванова</b> & Co"},
                    category_titles={**TITLES, "login": "<script>alert(1)</script>"})
    rendered = render(templates, compute(sneaky, cal, TARGETS, now=at(9, 7)),
                      school="Школа «Ромашка» <№ 1>")
    assert "<script>" not in rendered.html and "<b>Иванова" not in rendered.html
    assert "&lt;b&gt;Иванова&lt;/b&gt; &amp; Co" in rendered.html
    assert "Школа «Ромашка» &lt;№ 1&gt;" in rendered.html
    assert "<b>Иванова</b> & Co" in rendered.text  # the text part is plain text


def test_no_requester_data_can_reach_the_digest(templates: Templates, digest: Digest) -> None:
    # The rows have no field for a requester's name, address or text, so nothing can leak.
    assert {f.name for f in dataclasses.fields(CaseRow)} == {
        "id", "created_at", "closed_at", "status", "category", "role", "assignee",
        "first_response_at", "escalated_at", "vendor_answered_at", "flagged"}
    rendered = render(templates, digest)
    for part in (rendered.text, rendered.html):
        assert "@" not in part
        names = set(re.findall(r"[А-ЯЁ][а-яё]+ [А-ЯЁ]\. [А-ЯЁ]\.", part))
        assert names <= {"Иванова Н. П.", "Петрова А. С."}


def test_week_bounds_follow_the_calendar_zone(cal: WorkCalendar) -> None:
    start, end = iso_week_bounds("2026-W45", cal.zone)
    assert end - start == timedelta(days=7)
    assert start.utcoffset() == timedelta(hours=5)


def test_complaints_count_new_complaint_cases_and_those_written_into_a_case(
        cal: WorkCalendar) -> None:
    # Case 108 is a complaint opened the week before: not new this week.
    new_complaint = row(120, at(4, 10), "complaint", assignee="petrova")
    week = compute(inputs((*CASES, new_complaint), incidents={"complaints": 2}), cal, TARGETS,
                   now=at(9, 7))
    assert dict(week.incidents)["complaints"] == 3
    none_written = compute(inputs((*CASES, new_complaint), incidents={}), cal, TARGETS,
                           now=at(9, 7))
    assert dict(none_written.incidents)["complaints"] == 1


def test_unverified_mail_is_counted_without_names(cal: WorkCalendar,
                                                  templates: Templates) -> None:
    quiet = render(templates, compute(inputs(), cal, TARGETS, now=at(9, 7)))
    assert "без подписи службы" not in quiet.text
    figures = compute(inputs(unverified=3), cal, TARGETS, now=at(9, 7))
    assert figures.unverified == 3
    rendered = render(templates, figures)
    assert re.search(r"^\s+Письма без подписи службы\s+3$", rendered.text, re.MULTILINE)
    assert "Письма без подписи службы (не подтверждено)" in rendered.html
    assert "@" not in rendered.text.split("ПОЧТА")[1].split("С уважением")[0]
