"""The district digest: every school's week side by side, and the district's total.

Only counts and a median leave the schools' figures (jobs/figures.py, computed per mailbox
exactly as each school's own digest is), so the department sees no more than the schools'
digests show, and less: no case numbers, helpers or categories.

It goes out once per ISO week through the `periodic` ledger, keyed (kind
"district_digest", the week) under a mailbox row of its own named "(district)" — not a
school's, so reordering or adding schools never sends a week twice. The mail itself is
written to the outbox of the first school, from its help address, through its SMTP
settings, to `[district] admins`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from mailbot.adapters.clock import to_local
from mailbot.app import App
from mailbot.desk.casework import Tx
from mailbot.district.deployment import District, School
from mailbot.jobs import digests, periodic
from mailbot.jobs.figures import Digest, hours_ru, iso_week, iso_week_bounds, week_label
from mailbot.outgoing.compose import Rendered
from mailbot.outgoing.replies import OutgoingMail, rendered_mail
from mailbot.storage import db, store

KIND = "district_digest"
LEDGER_BOX = "(district)"  # the mailbox row that keys the ledger: not an address

# (key, label, summed into the total)
FIGURES = (
    ("opened", "Новых обращений", True),
    ("closed", "Закрыто", True),
    ("open", "Открыто на конец недели", True),
    ("overdue", "Без ответа дольше срока", True),
    ("responses", "Первых ответов", True),
    ("on_time", "Из них в срок", True),
    ("median", "Половина ответов — не дольше", False),
    ("vendor", "Передано в поддержку системы", True),
    ("undelivered", "Писем не доставлено", True),
    ("quarantined", "Писем в карантине", True),
)


@dataclass(frozen=True)
class SchoolWeek:
    title: str
    figures: Digest | None
    note: str = ""  # why a school has no figures («нет календаря …»)


def values(d: Digest) -> dict[str, object]:
    return {"opened": d.opened, "closed": d.closed, "open": d.open_at_end,
            "overdue": len(d.overdue), "responses": d.responses, "on_time": d.on_time,
            "median": hours_ru(d.median_response), "vendor": d.vendor.escalated,
            "undelivered": d.undelivered, "quarantined": d.quarantined}


def context(district: District, week: str, schools: Sequence[SchoolWeek]) -> dict[str, object]:
    """The context of templates/district_digest.*.j2 (pure)."""
    start, end = iso_week_bounds(week, ZoneInfo(district.timezone))
    shown = [values(s.figures) if s.figures is not None else None for s in schools]
    rows = []
    for key, label, summed in FIGURES:
        cells = [str(v[key]) if v is not None else "—" for v in shown]
        total = (str(sum(int(v[key]) for v in shown if v is not None))  # type: ignore[call-overload]
                 if summed else "—")
        rows.append({"label": label, "values": cells, "total": total})
    return {
        "district_name": district.name, "week": week, "week_label": week_label(start, end),
        "schools": [{"number": n, "title": s.title, "note": s.note}
                    for n, s in enumerate(schools, 1)],
        "rows": rows, "label_width": max(len(label) for _, label, _ in FIGURES),
    }


def gathered(pairs: Sequence[tuple[School, App]], week: str) -> list[SchoolWeek]:
    out = []
    for school, app in pairs:
        with db.session(app.engine) as session:
            box = store.mailbox_row(session, app.mailbox_name)
        if box is None or box.id is None:
            out.append(SchoolWeek(school.title, None, "почта ещё не обрабатывалась"))
            continue
        try:
            out.append(SchoolWeek(school.title, digests.admin_figures(app, box.id, week)))
        except ValueError:  # no calendar file: no working hours to count in
            out.append(SchoolWeek(school.title, None, "не задан календарь школы"))
    return out


def rendered(pairs: Sequence[tuple[School, App]], district: District, week: str) -> Rendered:
    week = digests.canonical_week(week, ZoneInfo(district.timezone))
    app = pairs[0][1]
    return app.templates.render("district_digest",
                                **context(district, week, gathered(pairs, week)))


def send(pairs: Sequence[tuple[School, App]], district: District, week: str) -> bool:
    """Queue the district digest of a finished week unless it was queued before."""
    zone = ZoneInfo(district.timezone)
    week = digests.canonical_week(week, zone)
    app = pairs[0][1]
    if iso_week_bounds(week, zone)[1] > app.clock.now():
        raise ValueError(f"week {week} is not over yet: print it with --print, or send it "
                         "when it has ended")
    if not district.admins:
        return False
    with db.session(app.engine) as session:
        ledger, box = _box(session, LEDGER_BOX), _box(session, app.mailbox_name)

    def make(_tx: Tx) -> list[OutgoingMail]:
        return [rendered_mail(app, None, rendered(pairs, district, week), kind=KIND,
                              to=[("", a) for a in district.admins])]
    return periodic.once(app, box, KIND, week, None, make, ledger=ledger)


def due(pairs: Sequence[tuple[School, App]], district: District) -> str | None:
    """Queue the district digest whose moment has passed, if not yet; the week queued."""
    app = pairs[0][1]
    local = to_local(app.clock.now(), district.timezone)
    moment = periodic.last_due(local, district.day, district.time)
    week = iso_week(moment.date() - timedelta(days=moment.weekday() + 7))
    with db.session(app.engine) as session:
        ledger = _box(session, LEDGER_BOX)
    if moment < periodic.installed_at(app, ledger):  # due before the first start
        return None
    return week if send(pairs, district, week) else None


def _box(session: Session, name: str) -> int:
    row = store.mailbox(session, name)
    session.commit()
    assert row.id is not None
    return row.id
