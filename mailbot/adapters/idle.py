"""IMAP IDLE (RFC 2177): the server tells us at once when mail arrives.

A thread of its own holds a second connection to the help folder (EXAMINE, read-only, so it
changes nothing the poller sees) in IDLE, and calls `on_wake` when the server reports a
new message (EXISTS). The worker then polls through the same path as always, so nothing
about the ledger changes; IDLE only decides *when*.

It also wakes the worker right after every (re)connection, since mail may have arrived while
it was not listening. A dropped connection is retried with growing pauses (RETRY_FIRST up to
RETRY_LIMIT seconds). IDLE is re-issued every RENEW_SECONDS, below the 29 minutes RFC 2177
allows, which also proves the connection alive. A server without the IDLE capability ends
the thread after one log line, and `active` stays false, so the worker's ordinary polling
carries on as the fallback.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from imapclient import IMAPClient

from mailbot.adapters.imap_source import NETWORK_ERRORS, open_client
from mailbot.adapters.source import SourceError
from mailbot.config import Mailbox

log = logging.getLogger("mailbot")

RENEW_SECONDS = 25 * 60
RETRY_FIRST, RETRY_LIMIT = 1.0, 60.0
TICK = 1.0  # how often the thread looks at the stop flag while idling
# An idle_check that returns at once with nothing, this many times in a row: the socket is
# readable only because the server closed it (imapclient swallows the EOF).
EMPTY_WAKES = 3


class IdleLost(Exception):
    """The IDLE connection is gone; reconnect."""


class IdleWatcher:
    def __init__(self, settings: Mailbox, ca_file: Path | None,
                 on_wake: Callable[[], None], stop: threading.Event) -> None:
        self.settings, self.ca_file = settings, ca_file
        self.on_wake, self.stop = on_wake, stop
        self.description = f"IMAP {settings.host}:{settings.effective_port}"
        self.active = False  # IDLE established now: polling may slow to a re-scan
        self.connected = False  # IDLE was established at least once
        self.wakes = 0
        self.thread = threading.Thread(target=self.run, name="imap-idle", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def join(self, timeout: float = 5.0) -> None:
        if self.thread.is_alive():
            self.thread.join(timeout)

    def run(self) -> None:
        try:
            self._run()
        except Exception:  # a bug: say so once; polling every poll_seconds carries on
            log.exception("IDLE stopped; the mailbox is polled every [worker] poll_seconds")
        finally:
            self.active = False

    def _run(self) -> None:
        delay = 0.0  # the pause before the next attempt; grows while attempts keep failing
        lost = False
        while not self.stop.is_set():
            if delay and self.stop.wait(delay):
                return
            try:
                client = self._connect()
            except SourceError as exc:
                if not lost:
                    log.info("IDLE: %s; trying again with growing pauses", exc)
                lost, delay = True, _longer(delay)
                continue
            if client is None:
                return  # no IDLE on this server: polling stays in charge
            if lost or not self.connected:
                log.info("IDLE: %s %s: new mail is taken the moment it arrives",
                         self.description, "back" if self.connected else "up")
            lost, self.connected = False, True
            since = time.monotonic()
            try:
                self._watch(client)
            except (IdleLost, *NETWORK_ERRORS) as exc:
                log.info("IDLE: %s: connection lost (%s); reconnecting",
                         self.description, type(exc).__name__)
                lost = True
            finally:
                self.active = False
                _close(client)
            # A connection that lasted starts the pauses afresh; one dropped at once (a
            # server that accepts and hangs up) makes them grow.
            delay = _longer(0.0 if time.monotonic() - since > RETRY_LIMIT else delay)

    def _connect(self) -> IMAPClient | None:
        client, _info = open_client(self.settings, self.ca_file, self.description,
                                    readonly=True)
        try:
            capable = b"IDLE" in client.capabilities()
        except NETWORK_ERRORS as exc:
            _close(client)
            raise SourceError(f"{self.description}: {type(exc).__name__}") from None
        if not capable:
            log.info("IDLE: %s does not offer IDLE; polling every [worker] poll_seconds",
                     self.description)
            _close(client)
            return None
        return client

    def _watch(self, client: IMAPClient) -> None:
        """IDLE until the stop flag, re-issued every RENEW_SECONDS."""
        while not self.stop.is_set():
            client.idle()
            self.active = True
            self._wake()  # anything that came while we were not listening
            self._until_renewal(client)
            client.idle_done()

    def _until_renewal(self, client: IMAPClient) -> None:
        renew_at = time.monotonic() + RENEW_SECONDS
        empty = 0
        while not self.stop.is_set() and time.monotonic() < renew_at:
            started = time.monotonic()
            responses = client.idle_check(timeout=TICK)
            if responses:
                empty = 0
                if any(_news(r) for r in responses):
                    self._wake()
                continue
            empty = empty + 1 if time.monotonic() - started < TICK / 2 else 0
            if empty >= EMPTY_WAKES:
                raise IdleLost("server closed the connection")

    def _wake(self) -> None:
        self.wakes += 1
        self.on_wake()


def _longer(delay: float) -> float:
    return min(RETRY_LIMIT, delay * 2 if delay else RETRY_FIRST)


def _news(response: object) -> bool:
    """`* n EXISTS`: a message arrived. Not the flag changes our own poller makes (FETCH),
    expunges, nor "* OK still here"; a BYE ends the connection and is seen as such."""
    return isinstance(response, tuple) and len(response) >= 2 and response[1] == b"EXISTS"


def _close(client: IMAPClient) -> None:
    try:
        client.shutdown()
    except NETWORK_ERRORS:
        pass
