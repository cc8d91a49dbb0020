"""Ingest rate of `mailbot run --once` against the raw limit, measured in the same run.

Seeds a real Dovecot mailbox with N realistic mails (`mails`: 5-20 KB, each about one
topic — a labelled request of tests/fixtures/requests, more of its category in other words,
narrative, pasted tables of marks —, a third with an HTML part, 10% replies quoting an
earlier mail of the set, 2% long ones of 60-300 KB, 1% with a 1 MB attachment), then measures (a) the raw limit:
imapclient fetching BODY.PEEK[] in batches of 100 and mail-parser parsing the same mails,
no other work; (b) `mailbot run --once` (a fresh process, a fresh SQLite database)
ingesting them into cases with acknowledgements queued (outgoing mail to a local Maildir),
once as a bare desk (no rule files) and once as the full desk. Prints the rates, their
ratio and the peak memory of the mailbot process.

    .venv/bin/python benchmarks/ingest.py [--n 1000] [--memory-at 10000] [--profile]
                                          [--django] [--rounds 3]

`--memory-at M` adds a full-desk run on M mails (slow: about a minute per 1,000 mails), to
see that memory stays flat as the backlog grows. `--profile` runs the full desk once more
under cProfile and prints where the time goes. `--django` adds django-helpdesk's
`get_email` on the same mails, side by side (benchmarks/django_baseline.py: installed from
PyPI into a throwaway virtualenv by the benchmark itself, skipped with a message when that
cannot be done). `--rounds R` measures all of it R times, one round after the other, and
prints each ratio's median and range: the host's speed drifts between two measurements, and
a single wall-clock ratio can be off by 15%.
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path

import mailparser
from imapclient import IMAPClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers import Dovecot

REQUESTS = ROOT / "tests" / "fixtures" / "requests"

_FIRST = ("Анна", "Ирина", "Ольга", "Мария", "Елена", "Сергей", "Андрей", "Дмитрий",
          "Наталья", "Татьяна", "Алексей", "Юлия", "Светлана", "Павел", "Виктор", "Оксана")
_LAST = ("Иванова", "Петрова", "Смирнова", "Кузнецова", "Попова", "Соколова", "Лебедева",
         "Новикова", "Морозова", "Волкова", "Зайцева", "Павлова", "Семёнова", "Голубева")
_SUBJECTS = ("ученика", "ученицы", "сына", "дочери")
_LESSONS = ("математика", "русский язык", "литература", "физика", "химия", "биология",
            "история", "география", "английский язык", "информатика", "обществознание")
_FILLER = (
    "Пробовали заходить с телефона и с компьютера, через разные браузеры, результат один.",
    "Пароль меняли дважды, письмо с кодом приходит, но после входа снова та же ошибка.",
    "Классный руководитель сказал обратиться к вам, потому что сам не знает, в чём дело.",
    "В прошлой четверти всё работало, проблема появилась после обновления приложения.",
    "Скриншот сделать не получилось, но текст ошибки переписала ниже как есть.",
    "Если нужно, могу подойти в школу в любой день после обеда или позвонить.",
    "Заранее спасибо за помощь, очень надеемся на быстрый ответ, скоро конец четверти.",
    "Дополнительно прошу проверить, правильно ли выставлены оценки за контрольные работы.",
    "В расписании на следующую неделю тоже что-то не так: стоят уроки, которых нет.",
    "Домашнее задание отображается не у всех детей класса, у некоторых пустая страница.",
)


def _requests() -> list[dict[str, str]]:
    """The labelled requests of the tests: subject, body and category."""
    items: list[dict[str, str]] = []
    for path in sorted(REQUESTS.glob("*.jsonl")):
        items += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
                  if line.strip()]
    return items


def _grades(rng: random.Random, rows: int) -> str:
    """A pasted table of pupils and marks: many distinct words, as real long mail has."""
    lines = []
    for i in range(rows):
        marks = " ".join(str(rng.randint(2, 5)) for _ in range(rng.randint(4, 12)))
        day = datetime(2026, 9, 1) + timedelta(days=rng.randint(0, 90))
        lines.append(f"{i + 1}. {rng.choice(_LAST)} {rng.choice(_FIRST)}, "
                     f"{rng.randint(5, 11)}{rng.choice('АБВГ')}, {rng.choice(_LESSONS)}: "
                     f"{marks} (с {day:%d.%m.%Y})")
    return "\n".join(lines)


def _body(rng: random.Random, first: str, topic: list[str], size: int) -> str:
    """A request about one topic: its question, then more of the same topic in other
    words (other requests of its category), the writer's own narrative, pasted tables."""
    parts = [rng.choice(("Здравствуйте!", "Добрый день!", "Добрый вечер.", "Здравствуйте.")),
             first]
    length = len(first.encode())
    while length < size:
        roll = rng.random()
        if roll < 0.15:
            chunk = _grades(rng, rng.randint(5, 25))
        elif roll < 0.5:
            chunk = " ".join(rng.choice(_FILLER) for _ in range(rng.randint(1, 4)))
        else:
            chunk = " ".join(rng.choice(topic) for _ in range(rng.randint(1, 4)))
        parts.append(chunk)
        length += len(chunk.encode())
    name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
    parts.append(f"С уважением,\n{name}, мама {rng.choice(_SUBJECTS)} "
                 f"{rng.randint(1, 11)} {rng.choice('АБВ')} класса\n+7 912 {rng.randint(100, 999)}"
                 f"-{rng.randint(10, 99)}-{rng.randint(10, 99)}")
    return "\n\n".join(parts)


def _attach(msg: EmailMessage, rng: random.Random) -> None:
    data = rng.randbytes(1_000_000)
    msg.add_attachment(data, maintype="application", subtype="pdf", filename="скан.pdf")


def mails(n: int, seed: int = 14) -> list[bytes]:
    """N realistic mails, the same for the same seed (see the module's docstring)."""
    rng = random.Random(seed)
    requests = _requests()
    by_category: dict[str, list[str]] = {}
    for item in requests:
        by_category.setdefault(item["category"], []).append(item["body"])
    out: list[bytes] = []
    sent: list[tuple[str, str, str, tuple[str, str], str]] = []  # id, subject, refs, from, body
    start = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    for i in range(n):
        msg = EmailMessage(policy=SMTP)
        mid = f"bench{i}.{seed}@mail.example"
        html = rng.random() < 0.3
        item = rng.choice(requests)
        topic = by_category[item["category"]]
        if sent and rng.random() < 0.10:
            earlier_id, subject, refs, sender, earlier_body = rng.choice(sent[-200:])
            quoted = "\n".join("> " + line for line in earlier_body.splitlines())
            body = (_body(rng, rng.choice(_FILLER), topic, rng.randint(300, 2_000)) +
                    f"\n\nПн, 23 нояб. 2026 г. в 10:00, {sender[0]} <{sender[1]}>:\n{quoted}")
            msg["In-Reply-To"] = f"<{earlier_id}>"
            msg["References"] = f"{refs} <{earlier_id}>".strip()
            subject = "Re: " + subject.removeprefix("Re: ")
        else:
            sender = (f"{rng.choice(_FIRST)} {rng.choice(_LAST)}", f"parent{i}@mail.example")
            size = rng.randint(60_000, 150_000) if rng.random() < 0.02 else \
                rng.randint(5_000, 20_000)
            # The raw mail's size: base64 of UTF-8 adds a third, an HTML part doubles it.
            body = _body(rng, item["body"], topic, int(size * 0.7 / (2 if html else 1)))
            subject, refs = item["subject"], ""
        msg["From"] = Address(display_name=sender[0], addr_spec=sender[1])
        msg["To"] = "help@school.example"
        msg["Subject"] = subject
        msg["Date"] = format_datetime(start + timedelta(minutes=i))
        msg["Message-ID"] = f"<{mid}>"
        msg.set_content(body)
        if html:
            paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
            msg.add_alternative(f"<html><body>{paragraphs}</body></html>", subtype="html")
        if i % 100 == 50:
            _attach(msg, rng)
        out.append(msg.as_bytes())
        sent.append((mid, subject, msg.get("References", ""), sender, body[:3_000]))
    return out


def describe(raws: list[bytes]) -> str:
    replies = sum(b"In-Reply-To:" in r.split(b"\r\n\r\n", 1)[0] for r in raws)
    attached = sum(len(r) > 1_000_000 for r in raws)
    long_ = sum(60_000 < len(r) < 1_000_000 for r in raws)
    sizes = sorted(len(r) for r in raws)
    return (f"{len(raws)} mails: {sizes[len(sizes) // 10] / 1024:.0f}-"
            f"{sizes[len(sizes) * 9 // 10] / 1024:.0f} KB (10th-90th percentile), "
            f"{replies} replies, {long_} long (60-300 KB), {attached} with a 1 MB attachment")


def raw_limit(account) -> tuple[int, float, float]:  # type: ignore[no-untyped-def]
    """Mails fetched and parsed, wall seconds, and CPU seconds of this process."""
    start, cpu = time.perf_counter(), time.process_time()
    count = 0
    with IMAPClient(account.host, port=account.port, ssl=False) as client:
        client.login(account.username, account.password)
        client.select_folder("INBOX", readonly=True)
        uids = client.search(["ALL"])
        for i in range(0, len(uids), 100):
            for data in client.fetch(uids[i:i + 100], ["BODY.PEEK[]"]).values():
                mailparser.parse_from_bytes(data[b"BODY[]"])
                count += 1
    return count, time.perf_counter() - start, time.process_time() - cpu


RULE_FILES = ("people", "categories", "routes", "etiquette", "knowledge", "calendar", "schedule")


def write_config(tmp: Path, account: object, name: str, rules: bool) -> Path:
    folder = tmp / name
    folder.mkdir()
    files = "".join(f'{key} = "{ROOT / "config" / (key + ".toml")}"\n' for key in RULE_FILES)
    config = folder / "mailbot.toml"
    config.write_text(
        f'[helpdesk]\naddress = "help@school.example"\n'
        f'[database]\nurl = "sqlite:///{folder}/bench.sqlite3"\n'
        f'[mailbox]\nkind = "imap"\nhost = "127.0.0.1"\nport = {account.port}\n'  # type: ignore[attr-defined]
        f'security = "none"\nusername = "{account.username}"\n'  # type: ignore[attr-defined]
        f'password = "{account.password}"\n'  # type: ignore[attr-defined]
        f'[smtp]\nkind = "maildir"\npath = "{folder}/sent"\n'
        f'[worker]\nseed_samples = false\ntemplates_path = "{ROOT / "templates"}"\n'
        f'[security]\nsecret_file = "{folder}/secret"\n'
        + (f"[files]\n{files}" if rules else "")
        + '[limits]\nauto_replies_per_sender = 1000000\n', encoding="utf-8")
    return config


def timed_run(config: Path, n: int, profile: Path | None = None,
              ) -> tuple[float, float, float]:
    """Mails per second of `mailbot run --once` over the whole mailbox (wall clock, and per
    CPU second of the process), and its peak MiB."""
    # Create the schema first so the timed run measures ingestion, not migrations. That run
    # also leaves mailbot's bytecode cached, as an installed package has it (pip compiles
    # it), even where PYTHONDONTWRITEBYTECODE is set: compiling ~150 modules from source
    # would add about half a second to every start.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-m", "mailbot", "--config", str(config), "cases"],
                   check=True, capture_output=True, env=env)
    runner = ["-m", "cProfile", "-o", str(profile), "-m", "mailbot"] if profile else \
        ["-c", _PEAK_WRAPPER]
    start = time.perf_counter()
    with tempfile.TemporaryFile() as errors, tempfile.NamedTemporaryFile() as peak:
        proc = subprocess.Popen([sys.executable, *runner, "--config", str(config), "run",
                                 "--once"], stdout=subprocess.DEVNULL, stderr=errors,
                                env={**env, "MAILBOT_BENCH_PEAK": peak.name})
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            errors.seek(0)
            lines = errors.read().decode(errors="replace").strip().splitlines()
            sys.exit(f"mailbot failed: {lines[-1] if lines else proc.returncode}")
        kib = int(peak.read() or 0)
    return n / seconds, n / (usage.ru_utime + usage.ru_stime), kib / 1024


# `python -m mailbot ARGS` that writes its own peak resident memory (VmHWM) to the file
# $MAILBOT_BENCH_PEAK names as it exits. VmHWM starts afresh at exec; getrusage's ru_maxrss
# does not (it is kept across exec), so it reported the forked copy of this benchmark
# process, which grows with the mails it made: 417 MiB "at 10,000 mails" was that.
_PEAK_WRAPPER = """
import atexit, os, runpy

def peak():
    with open("/proc/self/status") as status:
        kib = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(os.environ["MAILBOT_BENCH_PEAK"], "w") as out:
        out.write(kib)

atexit.register(peak)
runpy.run_module("mailbot", run_name="__main__", alter_sys=True)
"""


def _seeded(dovecot: Dovecot, raws: list[bytes]):  # type: ignore[no-untyped-def]
    account = dovecot.new_account()
    account.append_many(raws)
    return account


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="mails per run (default 1000)")
    parser.add_argument("--memory-at", type=int, default=0, metavar="M",
                        help="also run the full desk on M mails, for its peak memory")
    parser.add_argument("--profile", action="store_true",
                        help="profile the full desk (cProfile) and print the top functions")
    parser.add_argument("--django", action="store_true",
                        help="add django-helpdesk's get_email on the same mails, side by side")
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure everything R times, interleaved, and print the medians")
    args = parser.parse_args()
    raws = mails(args.n)
    print(describe(raws))
    with Dovecot() as dovecot, tempfile.TemporaryDirectory() as tmp:
        rounds = [_round(dovecot, raws, Path(tmp), r, args.django) for r in range(args.rounds)]
        if args.rounds > 1:
            _medians(rounds)
        if args.profile:
            _profile(dovecot, raws, Path(tmp))
        if args.memory_at:
            big = mails(args.memory_at)
            account = _seeded(dovecot, big)
            del big
            rate, cpu_rate, peak = timed_run(write_config(Path(tmp), account, "big", True),
                                             args.memory_at)
            print(f"[full, {args.memory_at} mails] {rate:8.1f} mails/s ({cpu_rate:.1f} per CPU "
                  f"second); peak memory {peak:.0f} MiB (against {rounds[0]['full'][4]:.0f} "
                  f"MiB at {args.n})")


Round = dict[str, tuple[float, ...]]


def _round(dovecot: Dovecot, raws: list[bytes], tmp: Path, r: int, django: bool) -> Round:
    """One measurement of everything, printed: the raw limit before each desk, the bare and
    the full desk, and django-helpdesk when asked for."""
    results: Round = {}
    tag = f"round {r + 1}: " if r else ""
    for name, rules in (("bare", False), ("full", True)):
        account = _seeded(dovecot, raws)
        count, raw_seconds, raw_cpu = raw_limit(account)
        results[name] = (count / raw_seconds, count / raw_cpu,
                         *timed_run(write_config(tmp, account, f"{name}{r}", rules), len(raws)))
    for name, (raw_rate, raw_cpu_rate, bot_rate, bot_cpu_rate, peak) in results.items():
        what = ("cases + acks" if name == "bare" else
                "cases classified, routed, acks + notices with articles and consultations")
        print(f"{tag}[{name}] raw limit (imapclient fetch + mail-parser): {raw_rate:8.0f} "
              f"mails/s ({raw_cpu_rate:.0f} per CPU second)")
        print(f"{tag}[{name}] mailbot run --once ({what}): {bot_rate:8.1f} mails/s"
              f" ({bot_cpu_rate:.1f} per CPU second)")
        print(f"{tag}[{name}] ratio mailbot / raw: {bot_rate / raw_rate:.3f} "
              f"(per CPU second: {bot_cpu_rate / raw_cpu_rate:.3f}, steadier on a busy "
              f"machine); peak memory of the mailbot process: {peak:.0f} MiB")
    if django:
        from django_baseline import run as django_run  # benchmarks/django_baseline.py

        rates = django_run(_seeded(dovecot, raws), len(raws), tmp / "django", f"project{r}")
        if rates is not None:
            results["django"] = rates
            rate, cpu_rate = rates
            full, full_cpu = results["full"][2:4]
            print(f"{tag}[django-helpdesk] get_email (tickets, follow-ups, attachments, a mail "
                  f"to the submitter): {rate:8.1f} mails/s ({cpu_rate:.1f} per CPU second);"
                  f" full desk / django-helpdesk: {full / rate:.2f} (per CPU second: "
                  f"{full_cpu / cpu_rate:.2f})")
    return results


def _medians(rounds: list[Round]) -> None:
    """The ratios of every round: median and range, since the host's speed drifts between
    one measurement and the next."""
    ratios: dict[str, list[float]] = {}
    for results in rounds:
        for name in ("bare", "full"):
            raw_rate, raw_cpu_rate, bot_rate, bot_cpu_rate, _peak = results[name]
            ratios.setdefault(f"{name} / raw", []).append(bot_rate / raw_rate)
            ratios.setdefault(f"{name} / raw per CPU second", []).append(
                bot_cpu_rate / raw_cpu_rate)
        if "django" in results:
            full, full_cpu = results["full"][2:4]
            rate, cpu_rate = results["django"]
            ratios.setdefault("full / django-helpdesk", []).append(full / rate)
            ratios.setdefault("full / django-helpdesk per CPU second", []).append(
                full_cpu / cpu_rate)
    for what, values in ratios.items():
        print(f"[{len(rounds)} rounds] {what}: median {statistics.median(values):.3f} "
              f"(range {min(values):.3f}-{max(values):.3f})")


def _profile(dovecot: Dovecot, raws: list[bytes], tmp: Path) -> None:
    account = _seeded(dovecot, raws)
    out = tmp / "full.prof"
    timed_run(write_config(tmp, account, "profiled", True), len(raws), profile=out)
    stats = pstats.Stats(str(out))
    total = stats.total_tt  # type: ignore[attr-defined]
    print(f"\n[profile] full desk, {len(raws)} mails: {total / len(raws) * 1000:.1f} ms a mail "
          "(under cProfile); by cumulative time:")
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
