"""The `mailbot` command. Every error an operator can meet ends in one line and a non-zero
exit: a mistake in the configuration or a rule file (2), an unreachable server, a locked or
read-only database, a missing template, a file that cannot be read or written (1)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import TemplateError
from sqlalchemy.exc import SQLAlchemyError

from mailbot import app as app_module
from mailbot import config as config_module
from mailbot import quarantine as quarantined
from mailbot import views, worker
from mailbot.adapters.clock import SystemClock
from mailbot.adapters.source import SourceError
from mailbot.desk.commands import helper_guide
from mailbot.district import commands as district_commands
from mailbot.explain import explain_file
from mailbot.jobs import digests
from mailbot.jobs.figures import current_week
from mailbot.outgoing import replies
from mailbot.school import rulebook
from mailbot.service import check, init, logs, outbox_command, progress, run_command, status
from mailbot.service import privacy as privacy_command
from mailbot.service import secret as secret_command
from mailbot.storage import db

EXIT_CONFIG, EXIT_SERVER = 2, 1


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mailbot", description="E-mail help desk for ЭЖ and ЭД.")
    p.add_argument("--config", help="TOML file (default: $MAILBOT_CONFIG, else "
                                    "config/mailbot.toml, else /etc/mailbot/mailbot.toml)")
    p.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                   help="DEBUG also shows the libraries' own messages")
    p.add_argument("--log-format", default="text", choices=["text", "json"],
                   help="json: one JSON object a line, for a log collector")
    district_commands.add_options(p)
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="poll the mailbox and send mail on a schedule")
    run.add_argument("--once", action="store_true", help="poll, process, send what is due, exit")
    start = sub.add_parser("init", help="write a starter mailbot.toml and the rule files")
    start.add_argument("folder", type=Path, help="where to write them, e.g. /etc/mailbot")
    start.add_argument("--schools", nargs="+", default=[], metavar="NAME",
                       help="a district: the district file, and a folder of starter files "
                            "per school in schools/NAME/")
    sub.add_parser("check", help="validate everything and try each connection; changes nothing")
    health = sub.add_parser("status", help="is it working? exit 0 OK, 1 warning, 2 critical")
    health.add_argument("--json", action="store_true", help="one JSON object")
    cases = sub.add_parser("cases", help="list cases, newest first")
    cases.add_argument("--status")
    cases.add_argument("--limit", type=int, default=50)
    case = sub.add_parser("case", help="show one case: its thread, events and outgoing mail")
    case.add_argument("number", type=int)
    quarantine = sub.add_parser("quarantine", help="mail that could not be processed")
    quarantine.add_argument("action", nargs="?", choices=["list", "show", "replay", "dismiss"],
                            default="list")
    quarantine.add_argument("id", nargs="?", type=int)
    quarantine.add_argument("--all", action="store_true", help="replay: every held mail")
    quarantine.add_argument("--reason", default="", help="dismiss: why it will not be processed")
    _digest_parsers(sub)
    _secret_parser(sub)
    _outbox_parser(sub)
    sub.add_parser("guide", help="print the helpers' guide to answering by mail (Russian)")
    explain = sub.add_parser("explain", help="what mailbot would do with .eml files (read-only)")
    explain.add_argument("files", nargs="+", type=Path)
    explain.add_argument("--json", action="store_true", help="one JSON object per file")
    _privacy_parsers(sub)
    return p


def _privacy_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    forget = sub.add_parser("forget", help="erase one person's data (152-ФЗ); without --yes "
                                           "only count what would go")
    forget.add_argument("address")
    forget.add_argument("--yes", action="store_true", help="really erase")
    export = sub.add_parser("export", help="write what the desk holds about one person")
    export.add_argument("address")
    export.add_argument("--out", type=Path, help="where to make the export's folder "
                                                 "(default: the current folder)")


def _secret_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    secret = sub.add_parser("secret", help="the secret that signs reply tokens")
    secret.add_argument("action", choices=["rotate"],
                        help="rotate: a new secret; the previous one stays accepted for "
                             "security.secret_grace_days")


def _digest_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    digest = sub.add_parser("digest", help="the administrators' weekly digest")
    action = digest.add_mutually_exclusive_group()
    action.add_argument("--print", action="store_true", help="print it (the default)")
    action.add_argument("--send", action="store_true",
                        help="queue it for the administrators (once per week) and send")
    district_commands.add_digest_option(digest)
    digest.add_argument("--week", help="ISO week like 2026-W48 (default: the current week "
                                       "for --print, the last complete week for --send)")
    schedule = sub.add_parser("schedule", help="consultations and seminars of a week")
    schedule.add_argument("--week", help="ISO week like 2026-W49 (default: the current week)")


def _outbox_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    box = sub.add_parser("outbox", help="outgoing mail not sent yet; retry failed mail")
    box.add_argument("action", nargs="?", choices=["list", "retry"], default="list")
    box.add_argument("id", nargs="?", type=int, help="retry: the outgoing mail's id")
    box.add_argument("--all", action="store_true", help="retry: every failed mail")
    box.add_argument("--status", choices=outbox_command.STATUSES, default="all",
                     help="list: only this status (default: all unsent)")
    box.add_argument("--limit", type=int, default=50)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logs.setup(args.log_level, args.log_format)
    try:
        if args.command == "init":
            print(init.init(args.folder, args.schools))
            return 0
        # One school, or the school(s) a command concerns in a district (mailbot/district).
        return district_commands.dispatch(config_module.config_path(args.config), args,
                                          COMMANDS)
    except config_module.ConfigError as exc:
        return _fail(str(exc), EXIT_CONFIG)
    except (init.InitError, db.DatabaseError, SourceError, ConnectionError) as exc:
        return _fail(str(exc), EXIT_SERVER)
    except SQLAlchemyError as exc:
        return _fail(f"database: {db.short_error(exc)}", EXIT_SERVER)
    except TemplateError as exc:
        name = getattr(exc, "name", None) or ""
        return _fail(f"template {name}: {type(exc).__name__}: {exc}".replace("  ", " "),
                     EXIT_SERVER)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        return _fail(f"{where}{exc.strerror or exc}", EXIT_SERVER)
    except KeyboardInterrupt:
        return 130


def _fail(message: str, code: int) -> int:
    print(f"mailbot: {' '.join(message.split())}", file=sys.stderr)
    return code


def cmd_run(config: config_module.Config, args: argparse.Namespace) -> int:
    return run_command.run(app_module.build(config), once=args.once)


def cmd_check(config: config_module.Config, args: argparse.Namespace) -> int:
    return check.run(config)


def cmd_status(config: config_module.Config, args: argparse.Namespace) -> int:
    found = status.gather(config, rulebook.load_all(config), SystemClock())
    print(status.as_json(found) if args.json else status.text(found))
    return found.level


def cmd_cases(config: config_module.Config, args: argparse.Namespace) -> int:
    app = app_module.build(config)
    print(views.cases_table(app, status=args.status, limit=args.limit))
    return 0


def cmd_case(config: config_module.Config, args: argparse.Namespace) -> int:
    app = app_module.build(config)
    text = views.case_text(app, args.number)
    if text is None:
        return _fail(f"no case {args.number}", 1)
    print(text)
    return 0


def cmd_quarantine(config: config_module.Config, args: argparse.Namespace) -> int:
    app = app_module.build(config)
    if args.action == "list":
        print(views.quarantine_table(app))
        return 0
    if args.action == "replay" and args.all:
        print(views.replay_all(app, lambda total: progress.bar(total, "Карантин")))
        return 0
    if args.id is None:
        return _fail(f"quarantine {args.action} needs an id"
                     + (" or --all" if args.action == "replay" else ""), EXIT_CONFIG)
    if args.action == "show":
        text = quarantined.decoded(app, args.id)
    elif args.action == "dismiss":
        if not args.reason.strip():
            return _fail("quarantine dismiss needs --reason \"…\": it is kept in the log",
                         EXIT_CONFIG)
        text = quarantined.dismiss(app, args.id, args.reason.strip())
    else:
        text = views.replay(app, args.id)
    if text is None:
        return _fail(f"no quarantined mail {args.id}", 1)
    print(text)
    return 0


def cmd_outbox(config: config_module.Config, args: argparse.Namespace) -> int:
    app = app_module.build(config)
    if args.action == "list":
        print(outbox_command.listing(app, args.status, args.limit))
        return 0
    if (args.id is None) == (not args.all):
        return _fail("outbox retry needs an id or --all (not both)", EXIT_CONFIG)
    text = outbox_command.retry(app, None if args.all else args.id)
    if text is None:
        return _fail(f"no outgoing mail {args.id}", 1)
    print(text)
    return 0


def cmd_digest(config: config_module.Config, args: argparse.Namespace) -> int:
    app = app_module.build(config)
    # Printing shows the week so far; sending defaults to the last complete week, the one
    # the scheduled digest covers, so a manual send never takes a partial week's place.
    week = args.week or (_last_complete_week(app) if args.send else _current_week(app))
    try:
        with progress.busy(f"Сводка за {week}"):
            if not args.send:
                rendered = digests.admin_rendered(app, worker.mailbox_id(app), week)
            else:
                queued = digests.send_admin(app, worker.mailbox_id(app), week)
    except ValueError as exc:
        return _fail(str(exc), EXIT_CONFIG)
    if not args.send:
        print(rendered.subject, "", rendered.text, sep="\n")
        return 0
    if not queued:
        print(f"The digest for {week} was sent before or has no recipients: nothing queued.")
        return 0
    sent = run_command.drain_with_bar(app, run_command.watched_transport(app))
    print(f"Digest for {week} queued; outbox: {sent.sent} sent, {sent.retrying} to retry, "
          f"{sent.failed} failed.")
    if sent.retrying and not sent.sent:
        return _fail(f"cannot send now: {sent.errors[0]}; the worker sends it later",
                     EXIT_SERVER)
    return 0


def cmd_schedule(config: config_module.Config, args: argparse.Namespace) -> int:
    app = app_module.build(config, migrate=False)
    try:
        rendered, _ = digests.schedule_rendered(app, args.week or _current_week(app))
    except ValueError as exc:
        return _fail(str(exc), EXIT_CONFIG)
    print(rendered.subject, "", rendered.text, sep="\n")
    return 0


def cmd_secret(config: config_module.Config, args: argparse.Namespace) -> int:
    rotation = secret_command.rotate(config, SystemClock().now())
    if not rotation.done:
        return _fail(rotation.message, 1)
    print(rotation.message)
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
    result_code = 0
    for path in args.files:
        result = explain_file(app, path)
        result_code |= 1 if "error" in result else 0
        if args.json:
            print(json.dumps(result, ensure_ascii=False))
        else:
            print(views.explain_text(result))
    return result_code


def cmd_forget(config: config_module.Config, args: argparse.Namespace) -> int:
    try:
        print(privacy_command.forget(app_module.build(config), args.address, yes=args.yes))
    except privacy_command.PrivacyError as exc:
        return _fail(str(exc), EXIT_CONFIG)
    return 0


def cmd_export(config: config_module.Config, args: argparse.Namespace) -> int:
    try:
        print(privacy_command.export_to(app_module.build(config), args.address, args.out))
    except privacy_command.PrivacyError as exc:
        return _fail(str(exc), EXIT_CONFIG)
    return 0


COMMANDS = {
    "run": cmd_run,
    "check": cmd_check,
    "status": cmd_status,
    "cases": cmd_cases,
    "case": cmd_case,
    "quarantine": cmd_quarantine,
    "outbox": cmd_outbox,
    "digest": cmd_digest,
    "schedule": cmd_schedule,
    "guide": cmd_guide,
    "explain": cmd_explain,
    "secret": cmd_secret,
    "forget": cmd_forget,
    "export": cmd_export,
}


if __name__ == "__main__":
    sys.exit(main())
