"""Real servers for integration tests: Dovecot IMAP, an aiosmtpd capture, PostgreSQL databases.

mailbot's adapters are thin, so the only honest way to test them is against real servers on
loopback. Everything here is plain classes and context managers (no pytest), so a benchmark
or a one-off script can use them too; ``tests/conftest.py`` wraps them as fixtures.
"""

from __future__ import annotations

import ctypes
import email
import grp
import imaplib
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Literal, Self

import psycopg2
from aiosmtpd.controller import Controller
from imapclient import IMAPClient
from psycopg2 import sql

LOOPBACK = "127.0.0.1"
DOVECOT_BINARY = "/usr/sbin/dovecot"
DEFAULT_PASSWORD = "secret"


class ServerError(RuntimeError):
    """A test server could not be started or reached; the message says what to fix."""


# ---------------------------------------------------------------------------------------------
# Processes and ports
# ---------------------------------------------------------------------------------------------


def free_port() -> int:
    """Ask the kernel for a free loopback port (a tiny race remains; callers retry on it)."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _proc_stat(pid: int) -> tuple[int, str, int] | None:
    """(ppid, state, start time) of a process, or None once it is gone.

    The start time makes a (pid, start) pair a stable identity, so a recycled pid is never
    mistaken for one of ours.
    """
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name is in parentheses and may contain spaces: split after the last ')'.
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[1]), fields[0], int(fields[19])


def _descendants(root_pid: int) -> set[tuple[int, int]]:
    """All living descendants of a process as (pid, start time) pairs."""
    children: dict[int, list[tuple[int, int]]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _proc_stat(int(entry))
            if stat is not None:
                children.setdefault(stat[0], []).append((int(entry), stat[2]))
    found: set[tuple[int, int]] = set()
    stack = [root_pid]
    while stack:
        for pid, start in children.get(stack.pop(), []):
            found.add((pid, start))
            stack.append(pid)
    return found


def is_running(pid: int, start: int | None = None) -> bool:
    """True while the process exists and is not a zombie.

    ``kill -0`` reports zombies as alive, and PID 1 on these machines does not always reap
    orphans quickly, so /proc state ``Z`` counts as gone.
    """
    stat = _proc_stat(pid)
    if stat is None or stat[1] in ("Z", "X"):
        return False
    return start is None or stat[2] == start


def _wait_until_gone(processes: Iterable[tuple[int, int]], deadline: float) -> bool:
    """Poll until none of ``processes`` runs; False if the deadline passed first."""
    pending = set(processes)
    while pending:
        pending = {(pid, start) for pid, start in pending if is_running(pid, start)}
        if pending and time.monotonic() > deadline:
            return False
        if pending:
            time.sleep(0.02)
    return True


def _parent_death_signal() -> Callable[[], None] | None:
    """A pre-exec hook asking the kernel to SIGTERM the child when the test process dies.

    Without it a pytest killed by SIGKILL (a CI timeout) would orphan Dovecot. libc is
    resolved here, before fork, so the hook itself only makes one system call.
    """
    try:
        prctl = ctypes.CDLL("libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):  # not glibc: the normal stop() must do
        return None
    pr_set_pdeathsig = 1
    return lambda: prctl(pr_set_pdeathsig, signal.SIGTERM)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log written)"


# ---------------------------------------------------------------------------------------------
# TLS certificates
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TlsFiles:
    """A throwaway CA and a server certificate for 127.0.0.1 signed by it, as PEM files.

    The CA is in no system store, so a client trusts the servers only when told to (mailbot's
    ``ca_file``) — exactly a school's self-signed internal mail server.
    """

    folder: Path
    ca: Path
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        """A server-side context presenting the certificate (for aiosmtpd)."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


def _openssl(*args: str, cwd: Path) -> None:
    done = subprocess.run(
        ["openssl", *args], cwd=cwd, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise ServerError(f"openssl {args[0]} failed: {done.stderr.strip()}")


def make_tls_files(folder: Path, host: str = LOOPBACK, days: int = 2) -> TlsFiles:
    """Create the CA and the server certificate in ``folder`` with the ``openssl`` CLI.

    The server certificate names ``host`` in subjectAltName (an IP entry), because clients
    check the host name and ignore the CN. EC keys keep this well under a second.
    """
    if shutil.which("openssl") is None:
        raise ServerError("openssl is missing: apt-get install -y openssl")
    folder.mkdir(parents=True, exist_ok=True)
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _openssl(
        "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", str(days),
        "-subj", "/O=mailbot tests/CN=mailbot test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=folder,
    )
    _openssl("req", "-new", *ec, "-keyout", "server.key", "-out", "server.csr",
             "-subj", f"/O=mailbot tests/CN={host}", cwd=folder)
    kind = "IP" if re.fullmatch(r"[0-9.]+|[0-9a-fA-F:]+", host) else "DNS"
    (folder / "server.ext").write_text(
        f"subjectAltName = {kind}:{host}\n"
        "basicConstraints = critical,CA:FALSE\n"
        "keyUsage = critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage = serverAuth\n"
        "subjectKeyIdentifier = hash\n"
        "authorityKeyIdentifier = keyid\n"
    )
    _openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.pem", "-days", str(days), "-extfile", "server.ext",
        cwd=folder,
    )
    for path in folder.iterdir():  # Dovecot's config reader and mail users must read them
        path.chmod(0o644)
    return TlsFiles(folder, folder / "ca.pem", folder / "server.pem", folder / "server.key")


# ---------------------------------------------------------------------------------------------
# Dovecot
# ---------------------------------------------------------------------------------------------


def render_dovecot_conf(
    root: Path,
    port: int,
    password: str,
    run_as_root: bool,
    tls: TlsFiles | None = None,
    imaps_port: int = 0,
) -> str:
    """The whole configuration of a throwaway Dovecot living in ``root``.

    Any user name logs in with ``password`` (static passdb), and each name gets its own
    maildir, so a fresh name is a fresh, isolated mailbox. The "/" separator and the
    special-use folders match what mailbot meets at real providers.

    With ``tls`` the ``imap`` port offers STARTTLS and ``imaps_port`` speaks implicit TLS;
    plain-text login stays allowed everywhere, so tests can still seed over plain IMAP.
    """
    if run_as_root:
        # Dovecot refuses to run login and mail processes as root.
        users = "default_login_user = dovenull\ndefault_internal_user = dovecot\n"
        owner = "uid=dovecot gid=dovecot"
    else:
        me, group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
        users = (
            f"default_login_user = {me}\ndefault_internal_user = {me}\n"
            f"default_internal_group = {group}\n"
        )
        owner = f"uid={os.getuid()} gid={os.getgid()}"
    return f"""\
protocols = imap
listen = {LOOPBACK}
base_dir = {root}/run
state_dir = {root}/state
instance_name = mailbot-test-{port}
log_path = {root}/dovecot.log
{users}first_valid_uid = 1
{_dovecot_ssl(tls)}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:{root}/mail/%u/Maildir
mail_fsync = never
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = {owner} home={root}/mail/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Drafts {{
    special_use = \\Drafts
  }}
  mailbox Junk {{
    special_use = \\Junk
  }}
  mailbox Trash {{
    special_use = \\Trash
  }}
  mailbox Sent {{
    special_use = \\Sent
  }}
}}
protocol imap {{
  mail_max_userip_connections = 1000
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = {imaps_port}
  }}
}}
service anvil {{
  chroot =
  # No growing delay after failed logins from 127.0.0.1: one test's wrong password must not
  # slow down every later test of the session.
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""


def _dovecot_ssl(tls: TlsFiles | None) -> str:
    """The ssl settings: off, or on with the given certificate (``<`` reads the file)."""
    if tls is None:
        return "ssl = no"
    return f"ssl = yes\nssl_cert = <{tls.cert}\nssl_key = <{tls.key}"


def parse_uid_set(text: str) -> list[int]:
    """Expand an IMAP uid-set such as ``4,7:9`` to ``[4, 7, 8, 9]``."""
    uids: list[int] = []
    for part in text.split(","):
        low, _, high = part.partition(":")
        start, end = sorted((int(low), int(high or low)))
        uids.extend(range(start, end + 1))
    return uids


_APPENDUID = re.compile(rb"\[APPENDUID \d+ ([0-9:,]+)\]")


def _appended_uids(response: object) -> list[int]:
    """UIDs from the APPENDUID code of an APPEND reply (UIDPLUS, which Dovecot offers)."""
    parts = response if isinstance(response, (tuple, list)) else [response]
    for part in parts:
        for item in part if isinstance(part, list) else [part]:
            match = _APPENDUID.search(item if isinstance(item, bytes) else str(item).encode())
            if match:
                return parse_uid_set(match.group(1).decode())
    raise ServerError(f"no APPENDUID in the server's reply: {response!r}")


@dataclass(frozen=True)
class ImapAccount:
    """One mailbox on the test Dovecot, plus helpers to seed and inspect it.

    Inspection selects folders read-only and fetches with BODY.PEEK, so looking never
    changes what mailbot will see (no \\Seen, no \\Recent consumed).
    """

    host: str
    port: int
    username: str
    password: str

    @contextmanager
    def connect(self, timeout: float = 10.0) -> Iterator[IMAPClient]:
        """A logged-in imapclient connection, logged out on exit."""
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=timeout)
        try:
            client.login(self.username, self.password)
            yield client
        finally:
            try:
                client.logout()
            except (imaplib.IMAP4.error, OSError):  # already broken: just close the socket
                client.shutdown()

    def append(
        self,
        raw: bytes,
        folder: str = "INBOX",
        flags: Sequence[str | bytes] = (),
        msg_time: datetime | None = None,
    ) -> int:
        """Store one message and return its UID. ``msg_time`` (a datetime) sets INTERNALDATE."""
        with self.connect() as client:
            reply = client.append(folder, raw, flags=tuple(flags), msg_time=msg_time)
        return _appended_uids(reply)[0]

    def append_many(
        self,
        messages: Iterable[bytes],
        folder: str = "INBOX",
        flags: Sequence[str | bytes] = (),
        batch: int = 200,
    ) -> list[int]:
        """Store many messages over one connection with MULTIAPPEND; UIDs in input order.

        One connection keeps UID order equal to list order, which a test can rely on (seeding
        over parallel connections would shuffle it).
        """
        uids: list[int] = []
        pending: list[bytes | dict[str, object]] = []
        with self.connect() as client:
            for raw in messages:
                pending.append({"msg": raw, "flags": tuple(flags)} if flags else raw)
                if len(pending) >= batch:
                    uids.extend(_appended_uids(client.multiappend(folder, pending)))
                    pending = []
            if pending:
                uids.extend(_appended_uids(client.multiappend(folder, pending)))
        return uids

    def uids(self, folder: str = "INBOX", criteria: str | Sequence[object] = "ALL") -> list[int]:
        """Sorted UIDs matching an IMAP SEARCH, e.g. ``"UNSEEN"`` or ``["FROM", "x@y"]``."""
        with self.connect() as client:
            client.select_folder(folder, readonly=True)
            return sorted(client.search(criteria))

    def flags(self, folder: str = "INBOX") -> dict[int, set[str]]:
        """Flags of every message as text, e.g. ``{1: {"\\\\Seen"}}``; \\Recent is left out
        because it depends on which session looked first, not on what mailbot did."""
        with self.connect() as client:
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            found = client.get_flags(uids) if uids else {}
        return {
            uid: {f.decode() if isinstance(f, bytes) else f for f in got} - {"\\Recent"}
            for uid, got in found.items()
        }

    def fetch(self, uid: int, folder: str = "INBOX") -> bytes:
        """The raw bytes of one message, without marking it read."""
        return self.messages(folder, [uid])[uid]

    def messages(
        self, folder: str = "INBOX", uids: Sequence[int] | None = None
    ) -> dict[int, bytes]:
        """Raw bytes of the given (default: all) messages, keyed by UID, none marked read."""
        with self.connect() as client:
            client.select_folder(folder, readonly=True)
            wanted = list(uids) if uids is not None else client.search("ALL")
            if not wanted:
                return {}
            found = client.fetch(wanted, [b"BODY.PEEK[]"])
        return {uid: data[b"BODY[]"] for uid, data in found.items()}

    def folder_exists(self, name: str) -> bool:
        with self.connect() as client:
            return bool(client.folder_exists(name))

    def create_folder(self, name: str) -> None:
        """Create a folder; use "/" for hierarchy, any Unicode name (imapclient encodes it)."""
        with self.connect() as client:
            client.create_folder(name)

    def list_folders(self) -> list[str]:
        with self.connect() as client:
            return sorted(name for _flags, _sep, name in client.list_folders())


class Dovecot:
    """A real Dovecot 2.3 from a throwaway config in a short temporary folder.

    Start once per test session (about 0.05 s) and give every test a fresh account instead of
    a fresh server: accounts are isolated maildirs, and stopping Dovecot takes about 1.1 s.
    """

    def __init__(
        self,
        password: str = DEFAULT_PASSWORD,
        binary: str = DOVECOT_BINARY,
        extra_conf: str = "",
        tls: TlsFiles | None = None,
    ) -> None:
        """``extra_conf`` is appended to the generated config, to tune one setting per test.

        With ``tls`` (see ``make_tls_files``) ``port`` offers STARTTLS and ``imaps_port``
        is implicit TLS, both with that certificate.
        """
        self.host = LOOPBACK
        self.port = 0
        self.imaps_port = 0
        self.tls = tls
        self.password = password
        self.binary = binary
        self.extra_conf = extra_conf
        self.root: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self, timeout: float = 15.0, attempts: int = 3) -> Self:
        """Start and wait for the IMAP greeting; retry only when the free port was taken."""
        if not Path(self.binary).exists():
            raise ServerError(f"{self.binary} is missing: apt-get install -y dovecot-imapd")
        for attempt in range(1, attempts + 1):
            try:
                self._start_once(timeout)
                return self
            except ServerError as error:
                port_taken = "Address already in use" in str(error)
                self._cleanup_root()
                if not port_taken or attempt == attempts:
                    raise
        raise AssertionError("unreachable")

    def _start_once(self, timeout: float) -> None:
        # Short path under /tmp: unix sockets live in base_dir and are limited to ~108 bytes.
        self.root = Path(tempfile.mkdtemp(prefix="mbdv-", dir="/tmp"))
        self.root.chmod(0o755)
        self._prepare_mail_root(self.root / "mail")
        self.port = free_port()
        self.imaps_port = free_port() if self.tls is not None else 0
        conf = self.root / "dovecot.conf"
        conf.write_text(
            render_dovecot_conf(
                self.root,
                self.port,
                self.password,
                os.geteuid() == 0,
                tls=self.tls,
                imaps_port=self.imaps_port,
            )
            + self.extra_conf
        )
        self._spawn(conf, timeout)

    def _spawn(self, conf: Path, timeout: float) -> None:
        assert self.root is not None
        with open(self.root / "stderr.log", "ab") as stderr:
            self._process = subprocess.Popen(
                [self.binary, "-F", "-c", str(conf)],
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                start_new_session=True,
                preexec_fn=_parent_death_signal(),  # noqa: PLW1509 - one syscall, no locks
            )
        try:
            self._wait_for_greeting(timeout)
        except ServerError as error:
            log = self.log_tail()
            self.stop()
            raise ServerError(f"{error}\n--- Dovecot log ---\n{log}") from None

    def kill(self) -> None:
        """SIGKILL the master and every child at once, as a crash would: connections drop
        without a goodbye. The mail stays; `revive()` starts it again on the same port."""
        process = self._process
        if process is None:
            return
        gone = self.processes()
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        for pid, start in gone:
            if is_running(pid, start):
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        process.wait()
        _wait_until_gone(gone, time.monotonic() + 10)
        self._process = None

    def revive(self, timeout: float = 15.0) -> None:
        """Start a killed Dovecot again with the same configuration, port and mail."""
        if self.root is None or self._process is not None:
            raise ServerError("revive() is for a Dovecot stopped by kill()")
        self._spawn(self.root / "dovecot.conf", timeout)

    def _prepare_mail_root(self, mail: Path) -> None:
        """The mail folder must belong to the user mail processes run as (dovecot if root)."""
        mail.mkdir()
        if os.geteuid() == 0:
            account = pwd.getpwnam("dovecot")
            os.chown(mail, account.pw_uid, account.pw_gid)

    def _wait_for_greeting(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last_error = "no connection attempt yet"
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise ServerError(f"Dovecot exited with code {self._process.returncode}")
            try:
                with socket.create_connection((self.host, self.port), timeout=1.0) as sock:
                    greeting = sock.makefile("rb").readline()
                if greeting.startswith(b"* OK"):
                    return
                last_error = f"unexpected greeting {greeting!r}"
            except OSError as error:
                last_error = str(error)
            time.sleep(0.02)
        raise ServerError(
            f"Dovecot gave no IMAP greeting on port {self.port} within {timeout} s ({last_error})"
        )

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM, then wait until the master and all its children are really gone."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            children = _descendants(process.pid)
            process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + timeout
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            if not _wait_until_gone(children, deadline):
                for pid, start in children:
                    if is_running(pid, start):
                        with suppress(ProcessLookupError):
                            os.kill(pid, signal.SIGKILL)
                _wait_until_gone(children, time.monotonic() + 5)
        self._cleanup_root()

    def _cleanup_root(self) -> None:
        if self.root is not None and self._process is None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def processes(self) -> set[tuple[int, int]]:
        """The master and all its children as (pid, start time), to prove stop() leaves none."""
        if self._process is None:
            return set()
        master = _proc_stat(self._process.pid)
        found = _descendants(self._process.pid)
        return found | {(self._process.pid, master[2])} if master else found

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- helpers --------------------------------------------------------------------------

    def log_tail(self, lines: int = 30) -> str:
        """The end of Dovecot's own log and of its stderr, for failure messages."""
        if self.root is None:
            return "(Dovecot not started)"
        return (
            f"{_tail(self.root / 'dovecot.log', lines)}\n{_tail(self.root / 'stderr.log', lines)}"
        )

    def new_account(self, username: str | None = None) -> ImapAccount:
        """A fresh, empty mailbox: any new name logs in with the shared password."""
        if self._process is None:
            raise ServerError("Dovecot is not running: call start() first")
        name = username or f"helpdesk-{secrets.token_hex(5)}@school.test"
        return ImapAccount(self.host, self.port, name, self.password)


# ---------------------------------------------------------------------------------------------
# SMTP capture
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CapturedMessage:
    """One message the capture server accepted, as the envelope and the bytes on the wire."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    message: EmailMessage
    mail_options: tuple[str, ...] = ()
    received_at: float = field(default_factory=time.time)
    tls: bool = False  # the message came over an encrypted connection (STARTTLS or SSL)


def _encrypted(server: object) -> bool:
    """Whether aiosmtpd's connection is under TLS now (after STARTTLS or from the start)."""
    transport = getattr(server, "transport", None)
    return transport is not None and transport.get_extra_info("ssl_object") is not None


class _CaptureHandler:
    """aiosmtpd handler: records messages, and fails on demand to exercise retry paths.

    It runs in the controller's event-loop thread while tests read from their own thread,
    hence the condition variable around all state.
    """

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.messages: list[CapturedMessage] = []
        self.data_failures: list[tuple[int, str]] = []
        self.rejected: dict[str, tuple[int, str]] = {}
        self.data_attempts = 0

    async def handle_RCPT(
        self,
        server: object,
        session: object,
        envelope: object,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        with self.changed:
            refusal = self.rejected.get(address.lower())
        if refusal is not None:
            return f"{refusal[0]} {refusal[1]}"
        envelope.rcpt_tos.append(address)  # type: ignore[attr-defined]
        return "250 OK"

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        data: bytes = envelope.original_content or envelope.content  # type: ignore[attr-defined]
        with self.changed:
            self.data_attempts += 1
            if self.data_failures:
                code, text = self.data_failures.pop(0)
                self.changed.notify_all()
                return f"{code} {text}"
        parsed = email.message_from_bytes(data, policy=policy.default)
        record = CapturedMessage(
            mail_from=envelope.mail_from,  # type: ignore[attr-defined]
            rcpt_tos=tuple(envelope.rcpt_tos),  # type: ignore[attr-defined]
            data=data,
            message=parsed,  # type: ignore[arg-type]
            mail_options=tuple(envelope.mail_options),  # type: ignore[attr-defined]
            tls=_encrypted(server),
        )
        with self.changed:
            self.messages.append(record)
            self.changed.notify_all()
        return "250 Message accepted for delivery"


class SmtpCapture:
    """A real SMTP server on loopback (aiosmtpd) that keeps every message it accepts."""

    def __init__(
        self,
        hostname: str = "smtp.school.test",
        tls: TlsFiles | None = None,
        security: Literal["ssl", "starttls"] = "starttls",
        smtputf8: bool = True,
    ) -> None:
        """With ``tls``, ``security="starttls"`` offers STARTTLS and refuses mail until the
        client has used it; ``"ssl"`` speaks TLS from the first byte (port 465 style).
        ``smtputf8`` offers SMTPUTF8 (RFC 6531), as Postfix and Exim do; without it UTF-8
        addresses are refused."""
        self.host = LOOPBACK
        self.port = 0
        self.server_hostname = hostname
        self.tls = tls
        self.security = security
        self.smtputf8 = smtputf8
        self._handler = _CaptureHandler()
        self._controller: Controller | None = None

    def _tls_arguments(self) -> dict[str, object]:
        if self.tls is None:
            return {}
        if self.security == "ssl":
            return {"ssl_context": self.tls.server_context()}
        return {"tls_context": self.tls.server_context(), "require_starttls": True}

    def _controller_on(self, port: int) -> Controller:
        return Controller(
            self._handler,
            hostname=self.host,
            port=port,
            server_hostname=self.server_hostname,
            ready_timeout=10.0,
            enable_SMTPUTF8=self.smtputf8,
            **self._tls_arguments(),  # type: ignore[arg-type]
        )

    def restart(self) -> Self:
        """Start a stopped server again on the same port, as a mail server comes back after
        an outage; what it captured before is kept."""
        if self._controller is not None:
            raise ServerError("restart() is for a server stopped with stop()")
        controller = self._controller_on(self.port)
        controller.start()
        self._controller = controller
        return self

    def start(self, attempts: int = 3) -> Self:
        for attempt in range(1, attempts + 1):
            self.port = free_port()
            controller = self._controller_on(self.port)
            try:
                controller.start()
            except (TimeoutError, OSError, RuntimeError):
                if attempt == attempts:
                    raise
                continue
            self._controller = controller
            return self
        raise AssertionError("unreachable")

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def messages(self) -> list[CapturedMessage]:
        """A snapshot of accepted messages, oldest first."""
        with self._handler.changed:
            return list(self._handler.messages)

    @property
    def data_attempts(self) -> int:
        """DATA commands received, failed ones included: how often a sender tried."""
        with self._handler.changed:
            return self._handler.data_attempts

    def wait_for(self, count: int, timeout: float = 5.0) -> list[CapturedMessage]:
        """Block until at least ``count`` messages arrived; TimeoutError says how many did."""
        with self._handler.changed:
            arrived = self._handler.changed.wait_for(
                lambda: len(self._handler.messages) >= count, timeout=timeout
            )
            if not arrived:
                raise TimeoutError(
                    f"expected {count} message(s) within {timeout} s, "
                    f"got {len(self._handler.messages)}"
                )
            return list(self._handler.messages)

    def fail_next(self, n: int = 1, code: int = 451, text: str = "Try again later") -> None:
        """Refuse the next ``n`` DATA commands (4xx: temporary, 5xx: permanent)."""
        with self._handler.changed:
            self._handler.data_failures.extend([(code, text)] * n)

    def reject_recipient(self, address: str, code: int = 550, text: str = "No such user") -> None:
        """Refuse this address at RCPT (case-insensitively) until ``clear()``."""
        with self._handler.changed:
            self._handler.rejected[address.lower()] = (code, text)

    def clear(self) -> None:
        """Forget messages, pending failures, rejections and counters."""
        with self._handler.changed:
            self._handler.messages.clear()
            self._handler.data_failures.clear()
            self._handler.rejected.clear()
            self._handler.data_attempts = 0


# ---------------------------------------------------------------------------------------------
# Databases
# ---------------------------------------------------------------------------------------------

POSTGRES_HOST = "127.0.0.1"
POSTGRES_PORT = 5432
POSTGRES_USER = "postgres"


def _admin_connection(host: str, port: int, user: str) -> psycopg2.extensions.connection:
    """An autocommit connection for CREATE/DROP DATABASE (which refuse transactions)."""
    errors: list[str] = []
    for dbname in ("postgres", "test"):
        try:
            connection = psycopg2.connect(
                host=host, port=port, user=user, dbname=dbname, connect_timeout=5
            )
        except psycopg2.OperationalError as error:
            errors.append(str(error).strip())
            continue
        connection.autocommit = True
        return connection
    raise ServerError(
        f"PostgreSQL is not reachable at {host}:{port} as user {user!r} "
        f"(start it, e.g. `service postgresql start`): {errors[-1]}"
    )


def drop_postgres_database(
    name: str, host: str = POSTGRES_HOST, port: int = POSTGRES_PORT, user: str = POSTGRES_USER
) -> None:
    """Drop a database even if a test left connections open (a leaked engine pool)."""
    with closing(_admin_connection(host, port, user)) as admin, admin.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        force = sql.SQL(" WITH (FORCE)") if admin.server_version >= 130000 else sql.SQL("")
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)) + force)


def postgres_database_exists(
    name: str, host: str = POSTGRES_HOST, port: int = POSTGRES_PORT, user: str = POSTGRES_USER
) -> bool:
    with closing(_admin_connection(host, port, user)) as admin, admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        return cursor.fetchone() is not None


@contextmanager
def temporary_postgres_database(
    host: str = POSTGRES_HOST, port: int = POSTGRES_PORT, user: str = POSTGRES_USER
) -> Iterator[str]:
    """Create ``mailbot_t_<hex>``, yield its SQLAlchemy URL, drop it afterwards.

    A database per test (not a schema, not a rollback) is what lets migrations and
    transaction handling run exactly as in production.
    """
    name = f"mailbot_t_{secrets.token_hex(6)}"
    with closing(_admin_connection(host, port, user)) as admin, admin.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"postgresql+psycopg2://{user}@{host}:{port}/{name}"
    finally:
        drop_postgres_database(name, host, port, user)


def sqlite_url(path: Path) -> str:
    """SQLAlchemy URL of an SQLite file (absolute path: four slashes after ``sqlite:``)."""
    return f"sqlite:///{path.resolve()}"
