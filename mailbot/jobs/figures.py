"""The weekly digest for the school's administrators: what the help desk did in one week.

The figures are computed here from plain rows the caller has read from the database, so this
module does no I/O and a test can check every number by hand. All durations are *working*
time of the school's calendar (workcal.py): a question asked on Friday evening and answered
on Monday morning waited an hour or two, not three days.

How each figure is defined (the week is [start, end) in the school's zone):

- opened: created in the week; closed / stopped: `closed_at` in the week with that status;
  open at the week's end: created before `end` and not closed before it.
- first response: working hours from creation to `first_response_at`, over the cases whose
  first response fell in the week; resolution: working hours from creation to closing,
  over the cases closed (not stopped) in the week. The median is the usual one (the mean of the two middle
  values for an even count); the 90th percentile is the *nearest-rank* one: the smallest
  value that at least 90 % of the responses do not exceed, always one of the real values.
- overdue: open, unanswered and not waiting for the vendor at the moment of the digest
  (`now`, or the week's end for a past week), having waited at least the category's reminder
  time; past the supervisor time is marked too.
- vendor: escalations in the week; answers in the week and how many working days each took
  (`WorkCalendar.working_days_between`: next working day is 1); cases still waiting.

The rows carry the *current* state, so a case closed in the week and reopened later counts
as open. The digest goes out right after the week, so this rarely matters, and a history
query would cost far more than it tells.

Only what an administrator needs leaves this module: case numbers, categories, helpers'
short names, counts. No requester's name, address or text is ever read into a row.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from mailbot.school.workcal import WorkCalendar
from mailbot.text.roles import label as role_label

DEFAULT_TARGET: tuple[float, float] = (8.0, 16.0)  # reminder, supervisor: working hours
INCIDENT_KINDS: tuple[str, ...] = ("flagged", "held", "stopped", "complaints")
ROLE_ORDER: tuple[str, ...] = ("parent", "student", "teacher", "staff", "unknown")
UNASSIGNED = "не назначено"
NO_CATEGORY = "Без категории"
OVERDUE_SHOWN = 20  # longer lists end with «и ещё N»
VENDOR_SHOWN = 10
TITLE_WIDTH = 24  # a column a phone shows without wrapping

_WEEK_RE = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)
_MONTHS_GENITIVE = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля",
                    "августа", "сентября", "октября", "ноября", "декабря")


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class CaseRow:
    """One case as the digest needs it; times are aware (the database returns UTC).

    `vendor_answered_at` is the first "vendor_answer" event after `escalated_at`.
    """

    id: int  # the case's number in its mailbox, as people see it
    created_at: datetime
    closed_at: datetime | None
    status: str
    category: str
    role: str
    assignee: str
    first_response_at: datetime | None
    escalated_at: datetime | None
    vendor_answered_at: datetime | None
    flagged: bool


@dataclass(frozen=True)
class DigestInputs:
    """Everything compute() reads. Rows outside the week are allowed and ignored."""

    week: str  # ISO week, "2026-W48"
    start: datetime  # Monday 00:00 in the school's zone (aware)
    end: datetime  # the next Monday 00:00
    cases: Sequence[CaseRow]
    incidents: Mapping[str, int]  # INCIDENT_KINDS -> count in the week; missing = 0
    undelivered: int
    quarantined: int
    names: Mapping[str, str]  # person id -> short name «Иванова Н. П.»
    category_titles: Mapping[str, str]
    unverified: int = 0  # mail kept as «не подтверждено» in the week (a count, no names)


# --------------------------------------------------------------------------- result


@dataclass(frozen=True)
class Overdue:
    case_id: int
    category: str  # title
    assignee: str  # short name or «не назначено»
    waited_hours: float
    target_hours: float
    past_supervisor: bool  # waited beyond the time at which a supervisor is told


@dataclass(frozen=True)
class CategoryLine:
    category: str  # id
    title: str
    opened: int
    closed: int
    open: int  # at the week's end


@dataclass(frozen=True)
class HelperLine:
    person: str  # id, "" for unassigned cases
    name: str
    cases: int  # cases of this helper open at some moment of the week
    closed: int
    open: int  # at the week's end
    median_response: float | None  # working hours, over first responses in the week
    overdue: int


@dataclass(frozen=True)
class VendorWait:
    case_id: int
    category: str  # title
    assignee: str
    working_days: int


@dataclass(frozen=True)
class VendorFigures:
    escalated: int  # sent to the vendor in the week
    answered: int  # vendor answers in the week
    median_days: float | None  # working days those answers took
    max_days: int | None
    waiting: tuple[VendorWait, ...]  # still without an answer, longest first


@dataclass(frozen=True)
class Digest:
    week: str
    start: datetime
    end: datetime
    as_of: datetime  # (UTC) the moment "open" and "overdue" refer to: now, or the week's end
    opened: int
    closed: int
    stopped: int
    open_at_end: int
    flagged_open: int  # open at the week's end and marked for an etiquette breach
    responses: int
    median_response: float | None
    p90_response: float | None
    on_time: int  # first responses within their category's reminder time
    resolved: int  # cases closed in the week (not stopped), for the resolution time
    median_resolution: float | None  # working hours from the question to the closing
    p90_resolution: float | None
    overdue: tuple[Overdue, ...]  # longest wait first
    categories: tuple[CategoryLine, ...]
    helpers: tuple[HelperLine, ...]
    roles: tuple[tuple[str, int], ...]  # role id, cases opened in the week
    vendor: VendorFigures
    incidents: tuple[tuple[str, int], ...]  # INCIDENT_KINDS order
    undelivered: int
    quarantined: int
    unverified: int = 0


# --------------------------------------------------------------------------- weeks


def iso_week_bounds(week: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Monday 00:00 and the next Monday 00:00 of an ISO week, in the school's zone."""
    match = _WEEK_RE.match(week.strip()) if isinstance(week, str) else None
    if not match:
        raise ValueError(f'bad week {week!r}: expected an ISO week like "2026-W48"')
    year, number = int(match[1]), int(match[2])
    try:
        monday = date.fromisocalendar(year, number, 1)
    except ValueError:
        raise ValueError(f"bad week {week!r}: {year} has no week {number}") from None
    start = datetime.combine(monday, time(), zone)
    return start, datetime.combine(monday + timedelta(days=7), time(), zone)


def iso_week(day: date) -> str:
    """«2026-W48»: the key of a week in the ledger, the CLI and the digests."""
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


def current_week(now: datetime, zone: ZoneInfo) -> str:
    """The ISO week `now` falls in, in the school's zone (a naive `now` is UTC)."""
    return iso_week(_aware(now).astimezone(zone).date())


# --------------------------------------------------------------------------- statistics


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def nearest_rank(values: Sequence[float], percent: float) -> float | None:
    """Nearest-rank percentile: the value at rank ceil(p/100 * n) of the sorted values."""
    if not values:
        return None
    if not 0 < percent <= 100:
        raise ValueError(f"percent must be in (0, 100], got {percent}")
    ordered = sorted(values)
    return ordered[max(1, math.ceil(percent / 100 * len(ordered))) - 1]


def target_of(targets: Mapping[str, tuple[float, float]], category: str) -> tuple[float, float]:
    """The category's (reminder, supervisor) hours; else the "default" entry; else 8 and 16."""
    return targets.get(category) or targets.get("default") or DEFAULT_TARGET


# --------------------------------------------------------------------------- compute


def compute(
    inputs: DigestInputs,
    calendar: WorkCalendar,
    targets: Mapping[str, tuple[float, float]],
    now: datetime,
) -> Digest:
    """The week's figures. `now` only matters for a week still in progress."""
    # In UTC, like the rows: comparing datetimes of one tzinfo skips utcoffset() calls,
    # which made the first pass over a year of cases ten times slower.
    start, end, now = (_aware(m).astimezone(UTC) for m in (inputs.start, inputs.end, now))
    if end <= start:
        raise ValueError(f"week {inputs.week}: the end {end} is not after the start {start}")
    if now < start:
        raise ValueError(f"week {inputs.week} has not begun at {now.isoformat()}")
    as_of = min(now, end)
    rows = [r for r in inputs.cases
            if r.created_at < end and (r.closed_at is None or r.closed_at >= start)]
    hours = _working_hours(calendar)
    titles = _namer(inputs.category_titles, NO_CATEGORY)
    names = _namer(inputs.names, UNASSIGNED)

    opened = [r for r in rows if start <= r.created_at]
    ended = [r for r in rows if _within(r.closed_at, start, end)]
    still_open = [r for r in rows if _open_at(r, end)]
    answered = [r for r in rows if _within(r.first_response_at, start, end)]
    waits = {r.id: hours(r.created_at, r.first_response_at) for r in answered}
    late = _overdue(rows, as_of, hours, targets, titles, names)
    closed = [r for r in ended if r.status != "stopped"]
    resolution = [hours(r.created_at, r.closed_at) for r in closed if r.closed_at is not None]
    return Digest(
        week=inputs.week, start=inputs.start, end=inputs.end, as_of=as_of,
        opened=len(opened), closed=len(closed), stopped=len(ended) - len(closed),
        open_at_end=len(still_open), flagged_open=sum(r.flagged for r in still_open),
        responses=len(waits), median_response=median(list(waits.values())),
        p90_response=nearest_rank(list(waits.values()), 90),
        on_time=sum(waits[r.id] <= target_of(targets, r.category)[0] for r in answered),
        resolved=len(resolution), median_resolution=median(resolution),
        p90_resolution=nearest_rank(resolution, 90),
        overdue=late,
        categories=_categories(opened, closed, still_open, titles),
        helpers=_helpers(rows, closed, still_open, answered, waits, late, names),
        roles=_roles(opened),
        vendor=_vendor(rows, start, end, as_of, calendar, titles, names),
        incidents=_incidents(_with_complaint_cases(inputs.incidents, opened)),
        undelivered=inputs.undelivered, quarantined=inputs.quarantined,
        unverified=inputs.unverified,
    )


def _overdue(
    rows: Iterable[CaseRow], as_of: datetime, hours: Callable[[datetime, datetime], float],
    targets: Mapping[str, tuple[float, float]], titles: Callable[[str], str],
    names: Callable[[str], str],
) -> tuple[Overdue, ...]:
    """Open and unanswered at `as_of` beyond the reminder time; the vendor's cases excluded:
    the school has acted, and they are listed under the vendor instead."""
    found = []
    for r in rows:
        if not _open_at(r, as_of) or _before(r.first_response_at, as_of):
            continue
        if _with_vendor(r, as_of):
            continue
        reminder, supervisor = target_of(targets, r.category)
        waited = hours(r.created_at, as_of)
        if waited >= reminder:
            found.append(Overdue(r.id, titles(r.category), names(r.assignee), waited,
                                 reminder, waited >= supervisor))
    return tuple(sorted(found, key=lambda o: (-o.waited_hours, o.case_id)))


def _categories(
    opened: list[CaseRow], closed: list[CaseRow], still_open: list[CaseRow],
    titles: Callable[[str], str],
) -> tuple[CategoryLine, ...]:
    counts = [Counter(r.category for r in group) for group in (opened, closed, still_open)]
    lines = [CategoryLine(cat, titles(cat), counts[0][cat], counts[1][cat], counts[2][cat])
             for cat in set().union(*counts)]
    return tuple(sorted(lines, key=lambda c: (-c.opened, -c.open, c.title)))


def _helpers(
    rows: list[CaseRow], closed: list[CaseRow], still_open: list[CaseRow],
    answered: list[CaseRow], waits: Mapping[int, float], late: tuple[Overdue, ...],
    names: Callable[[str], str],
) -> tuple[HelperLine, ...]:
    by_id = {r.id: r.assignee for r in rows}
    responses: defaultdict[str, list[float]] = defaultdict(list)
    for r in answered:
        responses[r.assignee].append(waits[r.id])
    cases, done, left = (Counter(r.assignee for r in g) for g in (rows, closed, still_open))
    overdue = Counter(by_id[o.case_id] for o in late)
    lines = [HelperLine(person, names(person), n, done[person], left[person],
                        median(responses[person]), overdue[person])
             for person, n in cases.items()]
    # The unassigned line goes last: it is a to-do for the triage person, not a helper.
    return tuple(sorted(lines, key=lambda h: (not h.person, -h.cases, h.name)))


def _roles(opened: list[CaseRow]) -> tuple[tuple[str, int], ...]:
    counts = Counter(r.role or "unknown" for r in opened)
    known = [(role, counts[role]) for role in ROLE_ORDER if counts[role]]
    return (*known, *sorted((r, n) for r, n in counts.items() if r not in ROLE_ORDER))


def _vendor(
    rows: list[CaseRow], start: datetime, end: datetime, as_of: datetime,
    calendar: WorkCalendar, titles: Callable[[str], str], names: Callable[[str], str],
) -> VendorFigures:
    took = [calendar.working_days_between(r.escalated_at, r.vendor_answered_at) for r in rows
            if r.escalated_at is not None and _within(r.vendor_answered_at, start, end)]
    # Days are counted through the last instant before as_of, so a case sent on Friday is
    # one day old at the week's end (Monday 00:00), not two.
    last = as_of - timedelta(microseconds=1)
    waiting = [VendorWait(r.id, titles(r.category), names(r.assignee),
                          max(0, calendar.working_days_between(r.escalated_at, last)))
               for r in rows if _open_at(r, as_of) and _with_vendor(r, as_of)]
    return VendorFigures(
        escalated=sum(_within(r.escalated_at, start, end) for r in rows),
        answered=len(took), median_days=median(took), max_days=max(took, default=None),
        waiting=tuple(sorted(waiting, key=lambda w: (-w.working_days, w.case_id))),
    )


def _with_complaint_cases(given: Mapping[str, int], opened: list[CaseRow]) -> dict[str, int]:
    """Complaints are the new complaint cases of the week plus those written into another
    case and sent on to a supervisor (the `complaints` count the caller read from the log)."""
    counts = dict(given)
    new_cases = sum(r.category == "complaint" for r in opened)
    if new_cases:
        counts["complaints"] = counts.get("complaints", 0) + new_cases
    return counts


def _incidents(given: Mapping[str, int]) -> tuple[tuple[str, int], ...]:
    unknown = sorted(set(given) - set(INCIDENT_KINDS))
    if unknown:
        raise ValueError(f"incidents: unknown kind {unknown[0]!r}; expected one of "
                         f"{', '.join(INCIDENT_KINDS)}")
    return tuple((kind, int(given.get(kind, 0))) for kind in INCIDENT_KINDS)


# --------------------------------------------------------------------------- small helpers


def _aware(moment: datetime) -> datetime:
    """Naive moments are UTC, as databases without time zones return them."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _within(moment: datetime | None, start: datetime, end: datetime) -> bool:
    return moment is not None and start <= moment < end


def _before(moment: datetime | None, limit: datetime) -> bool:
    return moment is not None and moment < limit


def _open_at(row: CaseRow, moment: datetime) -> bool:
    """Open just before `moment`: created earlier and not yet closed or stopped."""
    return row.created_at < moment and (row.closed_at is None or row.closed_at >= moment)


def _with_vendor(row: CaseRow, moment: datetime) -> bool:
    """Sent to the vendor before `moment`, and no answer from the vendor since."""
    return _before(row.escalated_at, moment) and not _before(row.vendor_answered_at, moment)


def _working_hours(calendar: WorkCalendar) -> Callable[[datetime, datetime], float]:
    def hours(a: datetime, b: datetime) -> float:
        return max(0.0, calendar.working_seconds_between(a, b)) / 3600

    return hours


def _namer(table: Mapping[str, str], empty: str) -> Callable[[str], str]:
    """id -> display name; an unknown id shows as itself, an empty one as `empty`."""
    return lambda key: table.get(key) or key or empty


# --------------------------------------------------------------------------- template context


def context(digest: Digest, *, helpdesk_name: str, school: str) -> dict[str, object]:
    """The context of templates/digest.*.j2: numbers already formatted the Russian way."""
    zone = digest.start.tzinfo
    as_of_local = digest.as_of.astimezone(zone)
    categories = [_category_row(c) for c in digest.categories]
    top = max((c.opened for c in digest.categories), default=0)
    roles = [{"label": role_label(role), "count": n} for role, n in digest.roles]
    top_role = max((n for _, n in digest.roles), default=0)
    for row in categories:
        row["bar"] = _bar(int(row["opened"]), top)
    for row in roles:
        row["bar"] = _bar(int(row["count"]), top_role)
    return {
        "week": digest.week,
        "week_label": week_label(digest.start, digest.end),
        "helpdesk_name": helpdesk_name,
        "school": school,
        "complete": digest.as_of >= digest.end,
        "as_of_label": f"{as_of_local:%d.%m.%Y %H:%M}",
        "totals": {"opened": digest.opened, "closed": digest.closed, "stopped": digest.stopped,
                   "open": digest.open_at_end, "overdue": len(digest.overdue),
                   "flagged_open": digest.flagged_open},
        "response": _response(digest),
        "overdue": [_overdue_row(o) for o in digest.overdue[:OVERDUE_SHOWN]],
        "overdue_more": max(0, len(digest.overdue) - OVERDUE_SHOWN),
        "categories": categories,
        "helpers": [_helper_row(h) for h in digest.helpers],
        "roles": roles,
        "vendor": _vendor_context(digest.vendor),
        "incidents": dict(digest.incidents),
        "undelivered": digest.undelivered,
        "quarantined": digest.quarantined,
        "unverified": digest.unverified,
        "title_width": TITLE_WIDTH,
        "name_width": max((len(h.name) for h in digest.helpers), default=0),
    }


def week_label(start: datetime, end: datetime) -> str:
    """«23–29 ноября 2026», «30 ноября – 6 декабря 2026», «28 декабря 2026 – 3 января 2027»."""
    first, last = start.date(), (end - timedelta(days=1)).date()
    if first.year != last.year:
        return f"{_day_month(first)} {first.year} – {_day_month(last)} {last.year}"
    if first.month != last.month:
        return f"{_day_month(first)} – {_day_month(last)} {last.year}"
    return f"{first.day}–{_day_month(last)} {last.year}"


def short_title(title: str, width: int = TITLE_WIDTH) -> str:
    """The first phrase of a category title, cut to a column: «Вход: пароль, …» → «Вход»."""
    head = re.split(r"[:,;(]", title, maxsplit=1)[0].strip() or title.strip()
    if len(head) <= width:
        return head
    cut = head[: width - 1]
    if " " in cut[width // 2:]:  # end on a whole word when one is near
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:«") + "…"


def hours_ru(value: float | None) -> str:
    """1.25 → «1,3 ч»; None → «—». One decimal: a digest is not a stopwatch."""
    return "—" if value is None else f"{value:.1f}".replace(".", ",") + " ч"


def days_ru(value: float | None) -> str:
    if value is None:
        return "—"
    text = f"{value:g}".replace(".", ",")
    return f"{text} {_plural(value, 'рабочий день', 'рабочих дня', 'рабочих дней')}"


def _response(digest: Digest) -> dict[str, object]:
    share = round(100 * digest.on_time / digest.responses) if digest.responses else None
    return {"count": digest.responses, "median": hours_ru(digest.median_response),
            "p90": hours_ru(digest.p90_response), "on_time": digest.on_time,
            "on_time_share": share, "resolved": digest.resolved,
            "resolution_median": hours_ru(digest.median_resolution),
            "resolution_p90": hours_ru(digest.p90_resolution)}


def _category_row(line: CategoryLine) -> dict[str, object]:
    return {"title": short_title(line.title), "opened": line.opened, "closed": line.closed,
            "open": line.open}


def _helper_row(line: HelperLine) -> dict[str, object]:
    return {"name": line.name, "cases": line.cases, "closed": line.closed, "open": line.open,
            "median": hours_ru(line.median_response), "overdue": line.overdue}


def _overdue_row(item: Overdue) -> dict[str, object]:
    return {"number": item.case_id, "category": short_title(item.category),
            "helper": item.assignee, "waited": hours_ru(item.waited_hours),
            "target": hours_ru(item.target_hours), "supervisor": item.past_supervisor}


def _vendor_context(vendor: VendorFigures) -> dict[str, object]:
    waiting = [{"number": w.case_id, "category": short_title(w.category), "helper": w.assignee,
                "days": days_ru(w.working_days)} for w in vendor.waiting[:VENDOR_SHOWN]]
    return {"escalated": vendor.escalated, "answered": vendor.answered,
            "median": days_ru(vendor.median_days), "max": days_ru(vendor.max_days),
            "waiting": waiting, "waiting_count": len(vendor.waiting),
            "waiting_more": max(0, len(vendor.waiting) - VENDOR_SHOWN)}


def _bar(value: int, top: int) -> int:
    """Bar width in per cent of the longest; a non-zero value always shows a sliver."""
    if not top or not value:
        return 0
    return max(2, round(100 * value / top))


def _day_month(d: date) -> str:
    return f"{d.day} {_MONTHS_GENITIVE[d.month - 1]}"


def _plural(value: float, one: str, few: str, many: str) -> str:
    if value != int(value):
        return few  # «1,5 рабочих дня»
    n = abs(int(value))
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many
