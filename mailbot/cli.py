"""The `mailbot` command. Every error a user can cause ends in one line and a non-zero exit."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from mailbot import app as app_module
from mailbot import config as config_module
from mailbot import samples, views, worker
from mailbot.adapters import connectors
from mailbot.adapters.source import SourceError
from mailbot.desk.commands import helper_guide
from mailbot.explain import explain_file
from mailbot.jobs import digests
from mailbot.jobs.figures import current_week
from mailbot.outgoing import outbox, replies
from mailbot.school import rulebook
from mailbot.school.schedule import schedule_warnings
from mailbot.storage import db

EXIT_CONFIG, EXIT_SERVER = 2, 1


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mailbot", description="E-mail help desk for ЭЖ and ЭД.")
    p.add_argument("--config", help="TOML file (default: $MAILBOT_CONFIG or config/mailbot.toml)")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="poll the mailbox and send mail on a schedule")
    run.add_argument("--once", action="store_true", help="poll, process, send what is due, exit")
    sub.add_parser("check", help="validate the configuration and try each connection")
    cases = sub.add_parser("cases", help="list cases, newest first")
    cases.add_argument("--status")
    cases.add_argument("--limit", type=int, default=50)
    case = sub.add_parser("case", help="show one case: its thread, events and outgoing mail")
    case.add_argument("number", type=int)
    quarantine = sub.add_parser("quarantine", help="mail that could not be processed")
    quarantine.add_argument("action", nargs="?", choices=["list", "show", "replay"],
                            default="list")
    quarantine.add_argument("id", nargs="?", type=int)
    digest = sub.add_parser("digest", help="the administrators' weekly digest")
    action = digest.add_mutually_exclusive_group()
    action.add_argument("--print", action="store_true", help="print it (the default)")
    action.add_argument("--send", action="store_true",
                        help="queue it for the administrators (once per week) and send")
    digest.add_argument("--week", help="ISO week like 2026-W48 (default: the current week "
                                       "for --print, the last complete week for --send)")
    schedule = sub.add_parser("schedule", help="consultations and seminars of a week")
    schedule.add_argument("--week", help="ISO week like 2026-W49 (default: the current week)")
    sub.add_parser("guide", help="print the helpers' guide to answering by mail (Russian)")
    explain = sub.add_parser("explain", help="what mailbot would do with .eml files (read-only)")
    explain.add_argument("files", nargs="+", type=Path)
    explain.add_argument("--json", action="store_true", help="one JSON object per file")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s",
                        stream=sys.stderr)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        config = config_module.load(config_module.config_path(args.config))
        return COMMANDS[args.command](config, args)
    except config_module.ConfigError as exc:
        print(f"mailbot: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except (db.DatabaseError, SourceError, ConnectionError) as exc:
        print(f"mailbot: {exc}", file=sys.stderr)
        return EXIT_SERVER
    except KeyboardInterrupt:
        return 130


def cmd_run(config: config_module.Config, args: argparse.Namespace) -> int:
    app = app_module.build(config)
    if config.mailbox.kind == "maildir" and config.worker.seed_samples:
        added = samples.seed(config.resolve(config.worker.samples_path), config.mailbox_path)
        if added:
            print(f"Added {added} sample mails to {config.mailbox_path}")
    job = worker.Worker(app, connectors.source(config), connectors.transport(config))
    if not args.once:
        _where_to_look(config)
        worker.run_forever(job)
        return 0
    try:
        report = worker.poll(app, job.source)
        job.time_job()
        job.digest_job()
        sent = outbox.drain(app, job.transport)
    finally:
        job.close()
    print(f"Mail: {worker.describe_poll(report)}.")
    for reason in report.quarantine_reasons:
        print(f"  quarantined {reason}")
    print(f"Outbox: {sent.sent} sent, {sent.retrying} to retry, {sent.failed} failed.")
    if sent.retrying and not sent.sent:
        print(f"mailbot: cannot send: {sent.errors[0]}", file=sys.stderr)
        return EXIT_SERVER
    _where_to_look(config)
    return 0


def _where_to_look(config: config_module.Config) -> None:
    if config.smtp.kind == "maildir":
        print(f"Outgoing mail is written to {config.sent_path / 'new'}; "
              f"see the cases with `mailbot cases` and `mailbot case N`.")


def cmd_check(config: config_module.Config, args: argparse.Namespace) -> int:
    print(f"Configuration {config.source_path}: valid")
    loaded = rulebook.load_all(config)
    if loaded.schedule is not None and loaded.calendar is not None:
        for warning in schedule_warnings(loaded.schedule, loaded.calendar):
            print(f"schedule: warning: {warning}")
    failures = 0
    steps = [
        ("database", lambda: _check_database(config, loaded)),
        ("mailbox", lambda: _check_source(config)),
        ("outgoing mail", lambda: connectors.transport(config).check()),
    ]
    for name, step in steps:
        try:
            print(f"{name}: {step()}")
        except (db.DatabaseError, SourceError, ConnectionError, OSError) as exc:
            failures += 1
            print(f"{name}: FAILED: {exc}")
    return EXIT_SERVER if failures else 0


def _check_database(config: config_module.Config, loaded: rulebook.Rulebook) -> str:
    app = app_module.build(config, loaded=loaded)
    try:
        return f"{app.engine.url.render_as_string()}: schema up to date"
    finally:
        app.engine.dispose()


def _check_source(config: config_module.Config) -> str:
    source = connectors.source(config)
    try:
        scan = source.scan(None, 0)
    finally:
        source.close()
    return f"{source.description}: {len(scan.keys)} messages waiting"


def cmd_cases(config: config_module.Config, args: argparse.Namespace) -> int:
    app = app_module.build(config)
    print(views.cases_table(app, status=args.status, limit=args.limit))
    return 0


def cmd_case(config: config_module.Config, args: argparse.Namespace) -> int:
    app = app_module.build(config)
    text = views.case_text(app, args.number)
    if text is None:
        print(f"mailbot: no case {args.number}", file=sys.stderr)
        return 1
    print(text)
    return 0


def cmd_quarantine(config: config_module.Config, args: argparse.Namespace) -> int:
    app = app_module.build(config)
    if args.action == "list":
        print(views.quarantine_table(app))
        return 0
    if args.id is None:
        print(f"mailbot: quarantine {args.action} needs an id", file=sys.stderr)
        return EXIT_CONFIG
    if args.action == "show":
        text = views.quarantine_text(app, args.id)
    else:
        text = views.replay(app, args.id)
    if text is None:
        print(f"mailbot: no quarantined mail {args.id}", file=sys.stderr)
        return 1
    print(text)
    return 0


def cmd_digest(config: config_module.Config, args: argparse.Namespace) -> int:
    app = app_module.build(config)
    # Printing shows the week so far; sending defaults to the last complete week, the one
    # the scheduled digest covers, so a manual send never takes a partial week's place.
    week = args.week or (_last_complete_week(app) if args.send else _current_week(app))
    try:
        if not args.send:
            rendered = digests.admin_rendered(app, worker.mailbox_id(app), week)
            print(rendered.subject, "", rendered.text, sep="\n")
            return 0
        queued = digests.send_admin(app, worker.mailbox_id(app), week)
    except ValueError as exc:
        print(f"mailbot: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    if not queued:
        print(f"The digest for {week} was sent before or has no recipients: nothing queued.")
        return 0
    sent = outbox.drain(app, connectors.transport(config))
    print(f"Digest for {week} queued; outbox: {sent.sent} sent, {sent.retrying} to retry, "
          f"{sent.failed} failed.")
    return 0


def cmd_schedule(config: config_module.Config, args: argparse.Namespace) -> int:
    app = app_module.build(config, migrate=False)
    try:
        rendered, _ = digests.schedule_rendered(app, args.week or _current_week(app))
    except ValueError as exc:
        print(f"mailbot: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    print(rendered.subject, "", rendered.text, sep="\n")
    return 0


def cmd_guide(config: config_module.Config, args: argparse.Namespace) -> int:
    """The same guide a helper receives for #помощь, to print or hand out."""
    app = app_module.build(config, migrate=False)
    rendered = app.templates.render(
        "guide", **replies.common(app), tagged_subject=f"[{config.helpdesk.tag} #N]",
        person_name="коллега", person_position="", commands=helper_guide(),
    )
    print(rendered.text)
    return 0


def _last_complete_week(app: app_module.App) -> str:
    zone = ZoneInfo(app.config.helpdesk.timezone)
    return current_week(app.clock.now() - timedelta(days=7), zone)


def _current_week(app: app_module.App) -> str:
    return current_week(app.clock.now(), ZoneInfo(app.config.helpdesk.timezone))


def cmd_explain(config: config_module.Config, args: argparse.Namespace) -> int:
    app = app_module.build(config, migrate=False)
    status = 0
    for path in args.files:
        result = explain_file(app, path)
        status |= 1 if "error" in result else 0
        if args.json:
            print(json.dumps(result, ensure_ascii=False))
        else:
            print(views.explain_text(result))
    return status


COMMANDS = {
    "run": cmd_run,
    "check": cmd_check,
    "cases": cmd_cases,
    "case": cmd_case,
    "quarantine": cmd_quarantine,
    "digest": cmd_digest,
    "schedule": cmd_schedule,
    "guide": cmd_guide,
    "explain": cmd_explain,
}


if __name__ == "__main__":
    sys.exit(main())
