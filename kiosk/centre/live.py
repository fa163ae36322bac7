"""Live updates for the display and counter pages: a change in the queue wakes their
server-sent event streams within a second.

`Notifier` learns of changes from the database itself, so a change made by any process
(another centre worker, `kiosk counter call`) counts:
- PostgreSQL: the store's operations `pg_notify('kiosk_queue', day)` in their transaction;
  a thread LISTENs on a connection of its own (psycopg 3, autocommit).
- SQLite: a thread reads ticket_events' largest id every half second.
Either way the thread bumps a version number and wakes the waiting streams on their event
loop. `event_stream` turns "state now" + the notifier into an SSE response body, with a
heartbeat every few seconds so a page can tell a quiet lobby from a dead link.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from kiosk.store.db import reading

log = logging.getLogger(__name__)

CHANNEL = "kiosk_queue"
POLL_SECONDS = 0.5  # SQLite: how often the events table is looked at
LISTEN_WAKE_SECONDS = 1.0  # PostgreSQL: how often the listening thread checks for stop
RECONNECT_LONGEST = 5.0  # seconds between attempts to reach a database that went away
HEARTBEAT_SECONDS = 3.0
RETRY_MS = 2000  # what EventSource waits before reconnecting after a drop
RECHECK_SECONDS = 60.0  # how often an open stream asks whether it may go on


class Notifier:
    def __init__(self, engine: Engine, poll_seconds: float = POLL_SECONDS,
                 listen_wake: float = LISTEN_WAKE_SECONDS) -> None:
        self.engine = engine
        self.poll_seconds = poll_seconds
        self.listen_wake = listen_wake  # stop() waits up to this long for the thread
        self._version = 0
        self._lock = threading.Lock()
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def version(self) -> int:
        return self._version

    def start(self) -> Notifier:
        """Starts the watching thread once; later calls do nothing."""
        with self._lock:
            if self._thread is None:
                watch = self._listen if self.engine.dialect.name == "postgresql" else self._poll
                self._thread = threading.Thread(target=watch, name="kiosk-notifier",
                                                daemon=True)
                self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def bump(self) -> None:
        """Something changed: wake every waiting stream."""
        with self._lock:
            self._version += 1
            waiters = list(self._waiters)
        for loop, event in waiters:
            # A loop closed under a waiter (server stopped) has no one left to wake.
            if not loop.is_closed():
                loop.call_soon_threadsafe(event.set)

    async def wait_change(self, seen: int, timeout: float) -> int:
        """The version, after it differs from `seen` or `timeout` seconds passed."""
        event = asyncio.Event()
        entry = (asyncio.get_running_loop(), event)
        with self._lock:
            if self._version != seen:
                return self._version
            self._waiters.add(entry)
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            pass  # a heartbeat's worth of quiet: the caller sends one
        finally:
            with self._lock:
                self._waiters.discard(entry)
        return self._version

    # The watching threads ------------------------------------------------------------

    def _poll(self) -> None:
        from kiosk.store.db import ticket_events  # STORE's table (docs/architecture.md)

        last: int | None = None
        failing = False
        while not self._stop.wait(self.poll_seconds):
            try:
                with reading(self.engine) as conn:
                    newest = conn.execute(select(func.max(ticket_events.c.id))).scalar()
            except SQLAlchemyError as exc:
                if not failing:
                    log.warning("live updates: cannot read ticket events: %s", exc)
                failing = True
                continue
            if failing:
                log.info("live updates: ticket events readable again")
                failing = False
            if newest != last:
                last = newest
                self.bump()

    def _listen(self) -> None:
        import psycopg

        url = self.engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False)
        delay = 0.5
        while not self._stop.is_set():
            try:
                with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    delay = 0.5
                    # Changes may have happened while we were not listening.
                    self.bump()
                    while not self._stop.is_set():
                        if any(True for _ in conn.notifies(timeout=self.listen_wake)):
                            self.bump()
            except psycopg.Error as exc:
                log.warning("live updates: lost the PostgreSQL connection (%s); "
                            "reconnecting", exc)
                self._stop.wait(delay)
                delay = min(delay * 2, RECONNECT_LONGEST)


def sse(event: str, data: object) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


async def event_stream(notifier: Notifier, read_state: Callable[[], Awaitable[dict]],
                       clock: Callable[[], datetime], heartbeat: float = HEARTBEAT_SECONDS,
                       still_allowed: Callable[[], Awaitable[bool]] | None = None,
                       recheck: float = RECHECK_SECONDS) -> AsyncIterator[bytes]:
    """State at once, then again after every change, and a heartbeat whenever `heartbeat`
    seconds passed without a message. While the state cannot be read (the database is
    down) nothing is sent, heartbeats included: the page then says it is not up to date
    rather than showing old numbers as current. `still_allowed` is asked every `recheck`
    seconds: a revoked display or an ended session stops getting updates."""
    notifier.start()
    yield f"retry: {RETRY_MS}\n\n".encode()
    seen = notifier.version
    last_state: dict | None = None
    readable = False
    last_sent = time.monotonic()
    last_check = time.monotonic()

    async def fresh() -> bytes | None:
        nonlocal last_state, readable
        try:
            state = await read_state()
        except SQLAlchemyError as exc:
            if readable:
                log.warning("live updates: cannot read the queue: %s", exc)
            readable = False
            return None
        readable = True
        if state == last_state:
            return None
        last_state = state
        return sse("state", state)

    first = await fresh()
    if first:
        yield first
        last_sent = time.monotonic()
    while True:
        wait = max(0.05, heartbeat - (time.monotonic() - last_sent))
        version = await notifier.wait_change(seen, wait)
        if still_allowed and time.monotonic() - last_check > recheck:
            last_check = time.monotonic()
            try:
                allowed = await still_allowed()
            except SQLAlchemyError:
                allowed = True  # cannot tell now; nothing is sent while unreadable anyway
            if not allowed:
                return
        message = None
        if version != seen or not readable:
            seen = version
            message = await fresh()
        if message is None and readable and time.monotonic() - last_sent >= heartbeat:
            message = sse("heartbeat", {"clock": f"{clock():%H:%M}"})
        if message:
            yield message
            last_sent = time.monotonic()
