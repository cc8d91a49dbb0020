"""The command line over a deployment: which school a command concerns, and the commands
that cover every school of a district (run, check, status, and forget and export: a person
may have written to several schools) or the district itself (`digest --district`).

A command about one school (cases, case, quarantine, digest, schedule, explain, outbox)
takes `--school NAME`, required when there are several schools; those that cover every
school take it to cover one; the others use `--school` when given, else the first school
(guide, secret: the secret is shared). With one school everything is as it always was.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from mailbot import app as app_module
from mailbot import worker
from mailbot.adapters.clock import SystemClock
from mailbot.config import Config, ConfigError
from mailbot.district import digest as district_digest
from mailbot.district import running
from mailbot.district.deployment import Deployment, School, load
from mailbot.jobs import digests
from mailbot.jobs.figures import current_week
from mailbot.outgoing import outbox
from mailbot.school import rulebook
from mailbot.service import check, privacy, progress, status
from mailbot.storage import db
from mailbot.storage.models import Mailbox, Quarantine

Command = Callable[[Config, argparse.Namespace], int]
ONE_SCHOOL = frozenset({"cases", "case", "quarantine", "digest", "schedule", "explain",
                        "outbox"})
EXIT_CONFIG, EXIT_SERVER = 2, 1


def add_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--school", help="the school a command concerns, by its name in the "
                                    "district file (required there for cases, case, ...)")


def add_digest_option(digest: argparse.ArgumentParser) -> None:
    digest.add_argument("--district", action="store_true",
                        help="the district digest: every school's week side by side")


def dispatch(path: Path, args: argparse.Namespace, commands: Mapping[str, Command]) -> int:
    """Run a command of the `mailbot` CLI against the school (or schools) it concerns."""
    deployment = load(path)
    if args.command == "digest" and getattr(args, "district", False):
        return district_digest_command(deployment, args)
    if len(deployment.schools) > 1 and args.school is None and args.command in EVERY_SCHOOL:
        return EVERY_SCHOOL[args.command](deployment, args)
    if args.school is None and args.command not in ONE_SCHOOL:
        school = deployment.schools[0]
    else:
        school = deployment.pick(args.school, args.command)
    if len(deployment.schools) > 1 and args.command == "run":
        return running.run(deployment, [school], once=args.once)
    if len(deployment.schools) > 1 and args.command == "digest" and args.send:
        return school_digest_send(deployment, school, args)
    if len(deployment.schools) > 1 and args.command == "quarantine" and args.id is not None:
        owner = quarantine_owner(deployment, args.id)
        if owner is not None and owner is not school:
            return _fail(f"quarantined mail {args.id} came to school {owner.name}: "
                         f"mailbot --school {owner.name} quarantine {args.action} {args.id}", 1)
    return commands[args.command](school.config, args)


def quarantine_owner(deployment: Deployment, quarantine_id: int) -> School | None:
    """The school whose mailbox a quarantined mail came to (ids count across schools)."""
    app = app_module.build(deployment.schools[0].config)
    try:
        with db.session(app.engine) as session:
            row = session.get(Quarantine, quarantine_id)
            box = session.get(Mailbox, row.mailbox_id) if row is not None else None
    finally:
        app.engine.dispose()
    return next((s for s in deployment.schools
                 if box is not None and s.config.helpdesk.address == box.name), None)


def check_all(deployment: Deployment, args: argparse.Namespace) -> int:
    code = 0
    for school in deployment.schools:
        print(f"== school {school.name}: {school.config.helpdesk.address} ==")
        code = max(code, check.run(school.config))
    return code


def status_all(deployment: Deployment, args: argparse.Namespace) -> int:
    found = {s.name: status.gather(s.config, rulebook.load_all(s.config), SystemClock())
             for s in deployment.schools}
    level = max(f.level for f in found.values())
    if args.json:
        print(json.dumps({"status": status.LEVELS[level].lower(),
                          "schools": {name: json.loads(status.as_json(f))
                                      for name, f in found.items()}}, ensure_ascii=False))
    else:
        print("\n".join(f"[{name}] {status.text(f)}" for name, f in found.items()))
    return level


def run_all(deployment: Deployment, args: argparse.Namespace) -> int:
    return running.run(deployment, list(deployment.schools), once=args.once)


def forget_all(deployment: Deployment, args: argparse.Namespace) -> int:
    """`mailbot forget ADDRESS [--yes]` in every school: a parent may have written to two
    schools of the district. A line per school; a school where the address is staff
    refuses (exit 2) and the others go on. Each school is a transaction of its own, so a
    second run finishes what an interrupted one left."""
    code, counted = 0, False
    for school in deployment.schools:
        app = app_module.build(school.config)
        try:
            counts = privacy.erased(app, args.address, yes=args.yes)
        except privacy.PrivacyError as exc:
            print(f"[{school.name}] refused: {exc}")
            code = EXIT_CONFIG
            continue
        finally:
            app.engine.dispose()
        counted = counted or bool(counts)
        verb = "erased" if args.yes else "would erase"
        print(f"[{school.name}] " + (f"{verb}: {privacy.summary(counts)}" if counts
                                     else "nothing is held about this address"))
    if counted and not args.yes:
        print(privacy.DRY_RUN)
    return code


def export_all(deployment: Deployment, args: argparse.Namespace) -> int:
    """`mailbot export ADDRESS [--out DIR]` of every school: one new folder, a folder per
    school in it (`data.json` and attachments, as one school's export)."""
    addr = privacy.address(args.address)
    folder = privacy.new_folder(args.out, SystemClock().now())
    for school in deployment.schools:
        app = app_module.build(school.config)
        try:
            privacy.write_export(app, addr, folder / school.name)
        finally:
            app.engine.dispose()
    print(folder)
    return 0


EVERY_SCHOOL: dict[str, Callable[[Deployment, argparse.Namespace], int]] = {
    "check": check_all, "status": status_all, "run": run_all, "forget": forget_all,
    "export": export_all}


def district_digest_command(deployment: Deployment, args: argparse.Namespace) -> int:
    """`mailbot digest --district --print|--send [--week W]`."""
    if deployment.district is None:
        raise ConfigError(f"{deployment.path}: digest --district needs a district file "
                          "([district] and [[school]] entries)")
    district = deployment.district
    apps = app_module.build_all([s.config for s in deployment.schools])
    pairs = list(zip(deployment.schools, apps, strict=True))
    zone = ZoneInfo(district.timezone)
    now = apps[0].clock.now()
    week = args.week or current_week(now - timedelta(days=7) if args.send else now, zone)
    try:
        with progress.busy(f"Сводка района за {week}"):
            if not args.send:
                shown = district_digest.rendered(pairs, district, week)
            else:
                queued = district_digest.send(pairs, district, week)
    except ValueError as exc:
        return _fail(str(exc), EXIT_CONFIG)
    if not args.send:
        print(shown.subject, "", shown.text, sep="\n")
        return 0
    if not queued:
        print(f"The district digest for {week} was sent before or has no recipients "
              "([district] admins): nothing queued.")
        return 0
    return _sent(running.drain(apps[0], [s.config for s in deployment.schools]),
                 f"District digest for {week}")


def school_digest_send(deployment: Deployment, school: School,
                       args: argparse.Namespace) -> int:
    """`digest --send` of one school among several: as for a single school, but the drain
    sends each school's mail through its own SMTP settings."""
    app = app_module.build(school.config)
    zone = ZoneInfo(app.config.helpdesk.timezone)
    week = args.week or current_week(app.clock.now() - timedelta(days=7), zone)
    try:
        with progress.busy(f"Сводка за {week}"):
            queued = digests.send_admin(app, worker.mailbox_id(app), week)
    except ValueError as exc:
        return _fail(str(exc), EXIT_CONFIG)
    if not queued:
        print(f"The digest for {week} was sent before or has no recipients: nothing queued.")
        return 0
    return _sent(running.drain(app, [s.config for s in deployment.schools]),
                 f"Digest for {week} of {school.name}")


def _sent(sent: outbox.SendReport, what: str) -> int:
    print(f"{what} queued; outbox: {sent.sent} sent, {sent.retrying} to retry, "
          f"{sent.failed} failed.")
    if sent.retrying and not sent.sent:
        return _fail(f"cannot send now: {sent.errors[0]}; the worker sends it later",
                     EXIT_SERVER)
    return 0


def _fail(message: str, code: int) -> int:
    print(f"mailbot: {' '.join(message.split())}", file=sys.stderr)
    return code
