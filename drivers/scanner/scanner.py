"""The QR / barcode scanner device: chosen by URL, read on a thread, reconnects by itself.

The URL picks a source (drivers.scanner.sources: serial ports and pyserial's URL handlers,
keyboard-wedge scanners through evdev).

``Scanner`` owns one reader thread. Every finished frame becomes one event, in order: a
``Scan``, or a ``Dropped`` saying why it was not one (too long, incomplete, no AIM id). Events
go to ``callback`` if one was given, else to the ``scans`` queue. Repeats of a payload
within ``dedupe_window`` s are not reported. If the link fails (cable out, scanner reset),
the reader marks the scanner OFFLINE, retries opening with a back-off (0.2 s doubling to
5 s by default) and goes back ONLINE when the device returns: callers never reopen.

Payloads are never logged (they may come from an ID card); logs carry lengths, symbologies
and reasons only.

A little over 400 lines: ``Scanner`` and its reader thread share one lock and one state,
and read best as one class; framing, sources and triggers live in their own modules.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from types import TracebackType

from drivers.device import open_failure

# The reader wakes every READ_SLICE: it bounds how late close() and frame gaps are noticed.
from drivers.serial_url import READ_SLICE

from .framing import (
    DEFAULT_MAX_FRAME,
    AimMode,
    Deduplicator,
    Dropped,
    FrameSplitter,
    Scan,
    Terminator,
)
from .sources import ScannerUrl, Source, open_source, parse_scanner_url
from .sources.evdev import EvdevSource
from .sources.serial import WRITE_TIMEOUT, SerialSource
from .states import (
    DeviceNotReady,
    DeviceState,
    ScannerError,
    ScannerStatus,
    ScannerTimeout,
    Unsupported,
)
from .triggers import (
    DEFAULT_ACK_TIMEOUT,
    TRIGGERS,
    HostTrigger,
    SsiDemux,
    SsiNoise,
    SsiPacket,
    Trigger,
)

log = logging.getLogger(__name__)

DEFAULT_BACKOFF = (0.2, 5.0)
DEFAULT_FRAME_GAP = 0.5
JOIN_TIMEOUT = 2.0


# -- the device -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ScannerStats:
    frames: int = 0  # frames that became scans (duplicates included)
    scans: int = 0  # scans reported
    duplicates: int = 0  # scans suppressed as repeats
    dropped: int = 0  # frames dropped (too long, incomplete, no AIM id)
    overflowed: int = 0  # events lost because the queue was full
    reconnects: int = 0  # times the link came back after being lost
    ssi_noise: int = 0  # reply-shaped SSI packets with a bad checksum


Event = Scan | Dropped


class Scanner:
    """One scanner and its reader thread. Made by ``open_scanner()``."""

    def __init__(self, source: Source, url: str, *, splitter: FrameSplitter,
                 dedupe: Deduplicator, trigger: Trigger | None = None,
                 frame_gap: float | None = DEFAULT_FRAME_GAP,
                 callback: Callable[[Event], None] | None = None,
                 on_status: Callable[[ScannerStatus], None] | None = None,
                 backoff: tuple[float, float] = DEFAULT_BACKOFF, queue_size: int = 256) -> None:
        self.url = url
        self.description = source.description
        self.trigger = trigger
        self.scans: queue.Queue[Event] = queue.Queue(maxsize=queue_size)
        self._source = source
        self._splitter = splitter
        self._dedupe = dedupe
        self._demux = SsiDemux() if trigger == "zebra-ssi" else None
        self._frame_gap = frame_gap
        self._callback = callback
        self._on_status = on_status
        self._backoff = backoff
        self._cond = threading.Condition()  # status and stats
        self._status = ScannerStatus(DeviceState.UNKNOWN, "not opened yet")
        self._stats = ScannerStats()
        self._io = threading.Lock()  # the source: open/close (reader) vs write (callers)
        self._is_open = False
        self._was_lost = False
        self._trigger = HostTrigger(trigger, self.send, self.description) if trigger else None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- public -------------------------------------------------------------------------
    def status(self) -> ScannerStatus:
        with self._cond:
            return self._status

    def wait_status(self, state: DeviceState | set[DeviceState], timeout: float) -> bool:
        """Wait until the state is ``state`` (or one of a set); False if ``timeout`` passed."""
        wanted = {state} if isinstance(state, DeviceState) else set(state)
        with self._cond:
            return self._cond.wait_for(lambda: self._status.state in wanted, timeout)

    @property
    def stats(self) -> ScannerStats:
        with self._cond:
            return self._stats

    def capabilities(self) -> dict[str, object]:
        return {
            "transport": self.description,
            "trigger": self.trigger,
            "can_write": self._source.can_write,
            "keyboard_wedge": self._source.keyboard_wedge,
            "terminator": self._splitter.terminator,
            "aim": self._splitter.aim,
            "max_frame": self._splitter.max_frame,
            "dedupe_window": self._dedupe.window,
        }

    def start_decode(self, timeout: float = DEFAULT_ACK_TIMEOUT) -> None:
        """Tell the scanner to start reading (host trigger). Zebra SSI: returns once the
        scanner ACKed; ScannerTimeout without an answer, TriggerRejected on NAK."""
        self._host_trigger().command(start=True, timeout=timeout)

    def stop_decode(self, timeout: float = DEFAULT_ACK_TIMEOUT) -> None:
        """Tell the scanner to stop reading (host trigger); errors as start_decode()."""
        self._host_trigger().command(start=False, timeout=timeout)

    def _host_trigger(self) -> HostTrigger:
        if self._trigger is None:
            raise Unsupported(f"{self.description}: no host trigger configured "
                              f"(open_scanner(..., trigger='honeywell' or 'zebra-ssi'))")
        return self._trigger

    def send(self, data: bytes, timeout: float = WRITE_TIMEOUT) -> None:
        """Send raw bytes to the scanner (menu / configuration commands).
        DeviceNotReady if the link is down, ScannerTimeout if it does not take them,
        Unsupported on a read-only source (keyboard wedge)."""
        data = bytes(data)
        with self._io:
            if not self._source.can_write:
                raise Unsupported(f"{self.description}: this scanner link is read-only")
            if not self._is_open:
                raise DeviceNotReady(f"{self.description}: not connected "
                                     f"({self.status().detail})")
            try:
                self._source.write(data, timeout)
            except TimeoutError:
                raise ScannerTimeout(f"{self.description}: {len(data)} bytes not accepted "
                                     f"within {WRITE_TIMEOUT:g} s") from None
            except OSError as e:
                raise DeviceNotReady(f"{self.description}: sending failed ({e})") from None

    def close(self) -> None:
        """Stop the reader (within about READ_SLICE) and close the device. Idempotent."""
        self._stop.set()
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join(JOIN_TIMEOUT)
        with self._io:
            self._source.close()
            self._is_open = False
        self._set_status(ScannerStatus(DeviceState.OFFLINE, f"{self.description}: closed"))

    def __enter__(self) -> Scanner:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- start-up -----------------------------------------------------------------------
    def start(self) -> Scanner:
        """First open attempt on the caller's thread (so when this returns, bytes the scanner
        sends are not lost to the open's input flush), then the reader thread."""
        if self._thread is not None:
            raise RuntimeError("scanner already started")
        self._try_open()
        self._thread = threading.Thread(target=self._run, name=f"scanner {self.description}",
                                        daemon=True)
        self._thread.start()
        return self

    # -- reader thread ------------------------------------------------------------------
    def _run(self) -> None:
        delay = self._backoff[0]
        try:
            while not self._stop.is_set():
                if not self._is_open:
                    if self._stop.wait(delay):
                        break
                    if self._try_open():
                        delay = self._backoff[0]
                    else:
                        delay = min(delay * 2, self._backoff[1])
                    continue
                try:
                    data = self._source.read(READ_SLICE)
                except Exception as e:  # whatever it is, the link is unusable
                    self._lost(e)
                    continue
                now = time.monotonic()
                if data:
                    self._process(data, now)
                elif self._frame_gap is not None:
                    gone = self._splitter.expire(now, self._frame_gap)
                    if gone is not None:
                        self._dropped(gone)
        except Exception:  # a bug here must not silently kill scanning: say so
            log.exception("scanner %s: reader thread failed", self.description)
            self._set_status(ScannerStatus(DeviceState.HWERROR,
                                           f"{self.description}: reader thread failed"))

    def _try_open(self) -> bool:
        with self._io:
            try:
                self._source.open()
            except OSError as e:
                self._source.close()
                state, why = open_failure(e)
                failure = ScannerStatus(state, f"{self.description}: {why}")
            else:
                self._is_open = True
                failure = None
        if failure is not None:
            if failure != self.status():  # log each new reason once, not every retry
                log.warning("scanner %s", failure.detail)
            self._set_status(failure)
            return False
        if self._was_lost:
            self._was_lost = False
            self._count(reconnects=1)
            log.info("scanner %s: reconnected", self.description)
        self._set_status(ScannerStatus(DeviceState.ONLINE, self.description))
        return True

    def _lost(self, e: BaseException) -> None:
        with self._io:
            self._source.close()
            self._is_open = False
        self._was_lost = True
        if self._demux is not None:
            self._demux.reset()
        gone = self._splitter.reset()
        if gone is not None:
            self._dropped(gone)
        detail = f"{self.description}: connection lost ({e}); reconnecting"
        log.warning("scanner %s", detail)
        self._set_status(ScannerStatus(DeviceState.OFFLINE, detail))

    def _process(self, data: bytes, now: float) -> None:
        pieces = self._demux.feed(data) if self._demux is not None else [data]
        for piece in pieces:
            if isinstance(piece, SsiPacket):
                if self._trigger is not None:
                    self._trigger.replies.put(piece)
            elif isinstance(piece, SsiNoise):
                self._count(ssi_noise=1)
                log.warning("scanner %s: skipped a %d-byte SSI reply with a bad checksum",
                            self.description, piece.length)
            else:
                for event in self._splitter.feed(piece, now):
                    if isinstance(event, Dropped):
                        self._dropped(event)
                    else:
                        self._scanned(event)

    def _scanned(self, scan: Scan) -> None:
        if not self._dedupe.accept(scan):
            self._count(frames=1, duplicates=1)
            log.debug("scanner %s: repeat of a %d-byte %s scan ignored", self.description,
                      len(scan.payload), scan.symbology or "unknown")
            return
        self._count(frames=1, scans=1)
        log.debug("scanner %s: %d-byte %s scan", self.description, len(scan.payload),
                  scan.symbology or "unknown")
        self._deliver(scan)

    def _dropped(self, d: Dropped) -> None:
        self._count(dropped=1)
        log.warning("scanner %s: dropped a %d-byte frame: %s", self.description, d.length,
                    d.reason)
        self._deliver(d)

    def _deliver(self, event: Event) -> None:
        if self._callback is not None:
            try:
                self._callback(event)
            except Exception as e:
                # Type and place only: the message could quote the payload.
                tb = e.__traceback__
                while tb is not None and tb.tb_next is not None:
                    tb = tb.tb_next
                where = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb else "?"
                log.error("scanner %s: callback raised %s at %s", self.description,
                          type(e).__name__, where)
            return
        try:
            self.scans.put_nowait(event)
        except queue.Full:
            self._count(overflowed=1)
            log.warning("scanner %s: event queue full (%d): nobody is reading scans; one lost",
                        self.description, self.scans.maxsize)

    def _count(self, **deltas: int) -> None:
        with self._cond:
            s = self._stats
            self._stats = replace(s, **{k: getattr(s, k) + v for k, v in deltas.items()})

    def _set_status(self, status: ScannerStatus) -> None:
        with self._cond:
            changed = status != self._status
            self._status = status
            self._cond.notify_all()
        if changed and self._on_status is not None:
            try:
                self._on_status(status)
            except Exception as e:
                log.error("scanner %s: status callback raised %s", self.description,
                          type(e).__name__)


def open_scanner(url: str, *, terminator: Terminator = "auto", dedupe_window: float = 1.0,
                 trigger: Trigger | None = None, max_frame: int = DEFAULT_MAX_FRAME,
                 aim: AimMode = "auto", frame_gap: float | None = DEFAULT_FRAME_GAP,
                 callback: Callable[[Event], None] | None = None,
                 on_status: Callable[[ScannerStatus], None] | None = None,
                 backoff: tuple[float, float] = DEFAULT_BACKOFF,
                 queue_size: int = 256) -> Scanner:
    """Open the scanner at ``url`` and start reading it (see the module doc).

    A scanner that is unplugged at start is not an error: ``status()`` says NODEVICE and the
    reader keeps retrying. Raises ValueError for a bad URL or argument, Unsupported for an
    evdev:// URL without python-evdev installed.

    ``terminator``: "auto" (CR, LF or CRLF), "CR", "LF" or "CRLF". ``aim``: strip AIM ids
    ("auto"), demand them ("require"), or leave frames alone ("off"). ``max_frame``: longer
    frames are dropped. ``frame_gap``: an unfinished frame is dropped after this many seconds
    without bytes (None: never). ``dedupe_window``: seconds within which a repeated payload
    is reported once (0: off). ``trigger``: "honeywell" or "zebra-ssi" for start_decode() /
    stop_decode(). ``backoff``: (first, longest) wait between reopen attempts, in s.

    ``callback`` (each Scan / Dropped) and ``on_status`` (each status change) run on the
    reader thread: keep them short, and hand over to a UI thread (e.g. Kivy's Clock) there.
    Without ``callback``, events wait in ``scanner.scans`` (at most ``queue_size``; beyond
    that new events are counted in ``stats.overflowed`` and lost)."""
    if trigger is not None and trigger not in TRIGGERS:
        raise ValueError(f"trigger must be None or one of {', '.join(TRIGGERS)}, got {trigger!r}")
    if frame_gap is not None and not frame_gap > 0:
        raise ValueError(f"frame_gap must be > 0 s or None, got {frame_gap!r}")
    first, longest = backoff
    if not 0 < first <= longest:
        raise ValueError(f"backoff must be (first, longest) with 0 < first <= longest, "
                         f"got {backoff!r}")
    if not isinstance(queue_size, int) or queue_size < 1:
        raise ValueError(f"queue_size must be an integer >= 1, got {queue_size!r}")
    u = parse_scanner_url(url)
    if u.scheme == "evdev":
        if trigger is not None:
            raise ValueError("a keyboard-wedge (evdev://) scanner cannot take a host trigger")
        terminator = "CR"  # Enter is the only end of frame a keyboard can type
    splitter = FrameSplitter(terminator, max_frame, aim)
    dedupe = Deduplicator(dedupe_window)
    source = open_source(u)
    scanner = Scanner(source, u.url, splitter=splitter, dedupe=dedupe, trigger=trigger,
                      frame_gap=frame_gap, callback=callback, on_status=on_status,
                      backoff=(float(first), float(longest)), queue_size=queue_size)
    return scanner.start()


__all__ = [
    "Event",
    "EvdevSource",
    "ScannerError",
    "Scanner",
    "ScannerStats",
    "ScannerUrl",
    "SerialSource",
    "Source",
    "open_scanner",
    "parse_scanner_url",
]
