"""Encrypted connections against real servers: Dovecot with its own certificate (implicit TLS
on the imaps port, STARTTLS on the imap port) and the aiosmtpd capture (SSL and STARTTLS).

The certificates come from a throwaway CA that no system store knows, like a school's
self-signed internal server: mailbot must trust it only through ``ca_file``, and must refuse
it, with one line naming the certificate, when ``ca_file`` is not set.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailbot import app as app_module
from mailbot import worker
from mailbot.adapters import connectors
from mailbot.adapters.clock import FixedClock
from mailbot.adapters.transport import Item, Result
from mailbot.config import ConfigError, load
from tests.integration.conftest import Desk, write_config
from tests.mailfactory import make_mail
from tests.servers import Dovecot, ImapAccount, SmtpCapture, TlsFiles, make_tls_files

MODES = ("ssl", "starttls")


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def tls_dovecot(tls_files: TlsFiles) -> Iterator[Dovecot]:
    """A second Dovecot, with ssl = yes; the plain one of tests/conftest.py stays as it is."""
    server = Dovecot(tls=tls_files).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_over(tls_files: TlsFiles) -> Iterator[Callable[[str], SmtpCapture]]:
    """Start a capture server speaking the given mode ("ssl" or "starttls"); stopped after."""
    started: list[SmtpCapture] = []

    def start(mode: str) -> SmtpCapture:
        server = SmtpCapture(tls=tls_files, security=mode).start()  # type: ignore[arg-type]
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def imap_section(dovecot: Dovecot, account: ImapAccount, mode: str, ca_file: str) -> str:
    port = dovecot.imaps_port if mode == "ssl" else dovecot.port
    return (f'[mailbox]\nkind = "imap"\nhost = "127.0.0.1"\nport = {port}\n'
            f'security = "{mode}"\nusername = "{account.username}"\n'
            f'password = "{account.password}"\ntimeout = 10\n'
            + (f'ca_file = "{ca_file}"\n' if ca_file else ""))


def smtp_section(smtp: SmtpCapture, mode: str, ca_file: str) -> str:
    return (f'[smtp]\nkind = "smtp"\nhost = "127.0.0.1"\nport = {smtp.port}\n'
            f'security = "{mode}"\ntimeout = 10\n'
            + (f'ca_file = "{ca_file}"\n' if ca_file else ""))


def copy_ca(tls: TlsFiles, folder: Path) -> str:
    """Put the CA next to the config, as a school would, and return the relative name."""
    (folder / "certs").mkdir(exist_ok=True)
    shutil.copy(tls.ca, folder / "certs" / "school-ca.pem")
    return "certs/school-ca.pem"


def mailbot(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mailbot", *args], capture_output=True,
                          text=True, timeout=60, check=False)


@pytest.mark.parametrize("imap_mode", MODES)
@pytest.mark.parametrize("smtp_mode", MODES)
def test_mail_flows_over_tls_with_the_schools_ca(
    imap_mode: str, smtp_mode: str, tmp_path: Path, sqlite_url: str,
    tls_files: TlsFiles, tls_dovecot: Dovecot, smtp_over: Callable[[str], SmtpCapture],
) -> None:
    account = tls_dovecot.new_account()
    smtp = smtp_over(smtp_mode)
    ca = copy_ca(tls_files, tmp_path)  # relative: resolved against the config's folder
    extra = (imap_section(tls_dovecot, account, imap_mode, ca)
             + smtp_section(smtp, smtp_mode, ca))
    config = load(write_config(tmp_path, db_url=sqlite_url, rules=False, extra=extra))
    clock = FixedClock(datetime(2026, 11, 23, 5, 0, tzinfo=UTC))
    app = app_module.build(config, clock)
    job = worker.Worker(app, connectors.source(config), connectors.transport(config))
    desk = Desk(app, config, clock, account, smtp, job)
    account.append(make_mail(subject="не открывается эд, пишет ошибка сертификата",
                             message_id="tls-q1@mail.example"))
    try:
        report, sent = desk.cycle()
        imap_socket = job.source.client.socket()  # type: ignore[attr-defined]
    finally:
        job.close()
        app.engine.dispose()

    assert (report.opened, report.acks, sent.sent) == (1, 1, 1)
    assert isinstance(imap_socket, ssl.SSLSocket)  # STARTTLS really switched the socket
    [ack] = smtp.wait_for(1)
    assert ack.tls, "the acknowledgement crossed the wire unencrypted"
    assert list(ack.rcpt_tos) == ["anna.petrova@mail.example"]
    assert ack.message["In-Reply-To"] == "<tls-q1@mail.example>"
    assert all("\\Seen" in flags for flags in account.flags().values())


@pytest.mark.parametrize(("section", "mode"), [(s, m) for s in ("mailbox", "smtp") for m in MODES])
def test_check_refuses_an_unknown_ca_in_one_line(
    section: str, mode: str, tmp_path: Path, sqlite_url: str,
    tls_files: TlsFiles, tls_dovecot: Dovecot, smtp_over: Callable[[str], SmtpCapture],
) -> None:
    """Without ca_file the self-signed server is refused; the other side, trusted, works."""
    smtp = smtp_over(mode)
    ca = copy_ca(tls_files, tmp_path)
    extra = (imap_section(tls_dovecot, tls_dovecot.new_account(), mode,
                          "" if section == "mailbox" else ca)
             + smtp_section(smtp, mode, "" if section == "smtp" else ca))
    path = write_config(tmp_path, db_url=sqlite_url, rules=False, extra=extra)

    result = mailbot("--config", str(path), "check")

    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    failed = [line for line in result.stdout.splitlines() if "FAILED" in line]
    name = "mailbox" if section == "mailbox" else "outgoing mail"
    assert len(failed) == 1 and failed[0].startswith(f"{name}: FAILED: "), result.stdout
    assert "certificate" in failed[0] and f"{section}.ca_file" in failed[0]
    other = "outgoing mail" if section == "mailbox" else "mailbox"
    assert any(line.startswith(f"{other}: ") and "FAILED" not in line
               for line in result.stdout.splitlines()), result.stdout


def test_a_different_ca_does_not_open_the_door(
    tmp_path: Path, tls_dovecot: Dovecot, smtp_over: Callable[[str], SmtpCapture],
) -> None:
    """ca_file adds trust in one CA; it does not switch verification off."""
    stranger = make_tls_files(tmp_path / "stranger")
    smtp = smtp_over("ssl")
    extra = (imap_section(tls_dovecot, tls_dovecot.new_account(), "ssl", str(stranger.ca))
             + smtp_section(smtp, "ssl", str(stranger.ca)))
    config = load(write_config(tmp_path, db_url="sqlite://", rules=False, extra=extra))
    source = connectors.source(config)
    with pytest.raises(Exception) as refused:
        source.scan(None, 0)
    source.close()
    assert type(refused.value).__name__ == "SourceError"
    assert "certificate not trusted" in str(refused.value)
    assert "\n" not in str(refused.value)

    results: list[Result] = []
    item = Item(1, "help@school.example", ["anna.petrova@mail.example"],
                make_mail(subject="ответ"))
    connectors.transport(config).send([item], lambda _item, result: results.append(result))
    assert [r.status for r in results] == ["unreachable"]  # retried after the fix, no attempt
    assert "certificate not trusted" in results[0].detail and "\n" not in results[0].detail
    assert smtp.data_attempts == 0


def test_starttls_capture_refuses_plain_mail(
    tmp_path: Path, smtp_over: Callable[[str], SmtpCapture],
) -> None:
    """The STARTTLS server really insists on TLS, so the flow tests above prove encryption."""
    smtp = smtp_over("starttls")
    extra = smtp_section(smtp, "none", "")
    config = load(write_config(tmp_path, db_url="sqlite://", rules=False, extra=extra))
    results: list[Result] = []
    item = Item(1, "help@school.example", ["anna.petrova@mail.example"], make_mail())
    connectors.transport(config).send([item], lambda _item, result: results.append(result))
    assert results[0].status != "sent" and smtp.messages == []


@pytest.mark.parametrize(("content", "why"), [
    (None, "mailbox.ca_file: no such file: "),
    ("это не сертификат\n", "mailbox.ca_file: not a PEM file of CA certificates"),
])
def test_unusable_ca_file_stops_at_load(
    content: str | None, why: str, tmp_path: Path,
) -> None:
    if content is not None:
        (tmp_path / "ca.pem").write_text(content, encoding="utf-8")
    extra = ('[mailbox]\nkind = "imap"\nhost = "127.0.0.1"\nsecurity = "starttls"\n'
             'username = "help"\npassword = "x"\nca_file = "ca.pem"\n')
    path = write_config(tmp_path, db_url="sqlite://", rules=False, extra=extra)
    with pytest.raises(ConfigError) as error:
        load(path)
    assert str(error.value).startswith(f"{path}: {why}")
    assert "\n" not in str(error.value)
    result = mailbot("--config", str(path), "check")
    assert result.returncode == 2 and result.stderr.strip().count("\n") == 0
    assert "Traceback" not in result.stderr
