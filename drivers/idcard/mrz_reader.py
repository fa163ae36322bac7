"""Serial MRZ readers (swipe / page readers): the link, a reader thread, and their URLs.

What the readers send is cut into MRZ texts by drivers.idcard.mrz_framing.

``open_mrz_reader(url, kind)`` opens the port (``drivers.serial_url.SerialLink``) and runs a
reader thread that feeds a framer and queues the results (like a small scanner).

URLs (``parse_reader_url``), as the scanner's serial ones: a bare device path,
``serial:///dev/ttyUSB0?baudrate=9600&parity=N&kind=3m``, or pyserial's ``loop://``,
``socket://HOST:PORT``, ``rfc2217://HOST:PORT`` (which adds ign_set_control, poll_modem,
timeout). Options: baudrate, bytesize, parity (N E O M S), stopbits (1 1.5 2), rtscts,
xonxoff, dsrdtr, exclusive, and ``kind`` (plain, 3m, desko). ``exclusive`` defaults to 1 on a
device path: a second reader on the same port would take half the frames, so it gets "busy"
instead. The values are parsed and checked by ``drivers.serial_url``.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from drivers.device import open_failure
from drivers.serial_url import (
    HANDLER_PARAMS,
    SERIAL_PARAMS,
    SerialLink,
    serial_target,
    split_device_url,
    url_params,
)

from .errors import IdCardError, ReaderError
from .mrz_framing import KINDS, MrzFramer

log = logging.getLogger(__name__)

IDLE_FLUSH = 0.3  # s of silence that ends a plain MRZ's last line / a cut-off frame
# Each read waits at most drivers.serial_url.READ_SLICE: how fast close() is noticed.
WRITE_TIMEOUT = 1.0  # the link is read-only here; SerialLink wants one

__all__ = ["KINDS", "Event", "MrzFramer", "MrzReader", "open_mrz_reader", "parse_reader_url"]


# -- the reader ---------------------------------------------------------------------------------
Event = str | IdCardError


class MrzReader:
    """A serial MRZ reader: a thread reads the link, a framer cuts MRZs, a queue holds them.

    ``link`` is an opened ``SerialLink`` (``open_mrz_reader`` opens one); the reader closes it.
    ``get()`` returns the next MRZ text, BadFrame, or (once, at the end) ReaderError when
    the link fails; ``on_event`` (optional) is called from the reader thread with the same.
    """

    def __init__(self, link: SerialLink, kind: str, *,
                 on_event: Callable[[Event], None] | None = None,
                 idle_flush: float = IDLE_FLUSH, max_queued: int = 16,
                 description: str = "") -> None:
        self._link = link
        self._framer = MrzFramer(kind)
        self._on_event = on_event
        self._idle_flush = idle_flush
        self._queue: queue.Queue[Event] = queue.Queue(maxsize=max_queued)
        self._stop = threading.Event()
        self.description = description or link.description
        self.kind = kind
        self.dropped = 0  # events lost because nobody consumed the queue
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"mrz-reader-{self.description}")
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def wait_stopped(self, timeout: float) -> bool:
        """Wait until the reader thread has ended (the link failed, or close()); False if
        ``timeout`` passed first."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def get(self, timeout: float | None = None) -> Event | None:
        """The next event, or None after ``timeout`` s without one."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        """Stop the thread, close the link and forget everything queued (personal data)."""
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(5)
        self._link.close()
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self._framer.reset()

    def __enter__(self) -> MrzReader:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _emit(self, item: Event) -> None:
        if isinstance(item, str):
            log.info("MRZ reader %s: MRZ received", self.description)
        else:
            log.warning("MRZ reader %s: %s", self.description, item)
        if self._on_event is not None:
            try:
                self._on_event(item)
            except Exception:  # a consumer's bug must not kill the reader
                log.exception("MRZ reader %s: event callback failed", self.description)
        while True:
            try:
                self._queue.put_nowait(item)
                return
            except queue.Full:
                with contextlib.suppress(queue.Empty):
                    self._queue.get_nowait()  # the oldest goes: a citizen re-swipes
                    self.dropped += 1

    def _run(self) -> None:
        last = time.monotonic()
        while not self._stop.is_set():
            try:
                data = self._link.read_some()  # waits at most READ_SLICE
            except (OSError, TypeError, AttributeError) as e:
                # TypeError/AttributeError: pyserial's read on a port closed under it.
                if not self._stop.is_set():
                    for item in self._framer.flush():
                        self._emit(item)
                    self._emit(ReaderError(f"MRZ reader link failed: {type(e).__name__}"))
                return
            now = time.monotonic()
            if data:
                last = now
                items = self._framer.feed(data)
            elif self._framer.pending and now - last >= self._idle_flush:
                items = self._framer.flush()
            else:
                continue
            for item in items:
                self._emit(item)


# The query and pyserial's options are parsed by drivers.serial_url; this names the MRZ reader
# in its messages.
_WHAT = "MRZ reader URL"
_KIND = "kind"


def parse_reader_url(url: str) -> tuple[str, dict[str, Any], str | None]:
    """(pyserial target, serial_for_url options, kind from the URL or None).

    ``serial:///dev/ttyUSB0?baudrate=9600&parity=N&kind=3m``, a bare device path, or
    pyserial's ``loop://``, ``socket://HOST:PORT``, ``rfc2217://HOST:PORT`` with the same
    options (see the module doc). ValueError only, naming the key, its value and the URL.
    """
    url, parts = split_device_url(url, _WHAT)
    if parts is None:  # a bare device path, as pyserial takes it
        return url, {"exclusive": True}, None
    scheme = parts.scheme.lower()
    if scheme != "serial" and scheme not in HANDLER_PARAMS:
        raise ValueError(f"unknown MRZ reader URL scheme {scheme!r} in {url!r}; expected a "
                         f"device path or one of serial://, "
                         f"{', '.join(s + '://' for s in HANDLER_PARAMS)}")
    allowed = SERIAL_PARAMS + HANDLER_PARAMS.get(scheme, ()) + (_KIND,)
    params = url_params(parts, url, _WHAT, allowed)
    kind = params.get(_KIND)
    if kind is not None and kind not in KINDS:
        raise ValueError(f"{_KIND}={kind!r} in {_WHAT} {url!r}: expected one of "
                         f"{', '.join(KINDS)}")
    target, options, _, _ = serial_target(parts, params, url, _WHAT, exclusive=True)
    return target, options, kind


def open_mrz_reader(url: str, kind: str | None = None, *,
                    on_event: Callable[[Event], None] | None = None,
                    idle_flush: float = IDLE_FLUSH) -> MrzReader:
    """Open a serial MRZ reader by URL and start reading. ``kind``: plain, 3m or desko
    (default: the URL's ``kind`` parameter, else plain). ReaderError if the port will not
    open (missing, busy, refused settings); ValueError for a bad URL or kind."""
    target, options, url_kind = parse_reader_url(url)
    kind = kind or url_kind or "plain"
    if kind not in KINDS:
        raise ValueError(f"unknown MRZ reader kind {kind!r}; expected one of {KINDS}")
    description = url.strip().split("?", 1)[0]
    link = SerialLink(target, options, description, write_timeout=WRITE_TIMEOUT)
    try:
        link.open()
    except OSError as e:
        raise ReaderError(f"cannot open MRZ reader {description}: {open_failure(e)[1]}"
                          ) from None
    return MrzReader(link, kind, on_event=on_event, idle_flush=idle_flush,
                     description=description)
