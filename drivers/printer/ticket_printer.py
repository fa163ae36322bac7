"""The ticket printer device: status by DLE EOT before a job, delivery confirmed after it,
typed errors. The link comes from drivers.printer.transports, chosen by the URL's scheme.

Reads never use python-escpos: ``Network._read()`` is a blocking ``recv(16)`` under the 60 s
connect timeout, ``Serial._read()`` waits its whole timeout, and ``paper_status()`` reports
"paper OK" on an empty reply. Status replies are read with a deadline instead.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from types import TracebackType
from typing import Any

from drivers.device import open_failure

from .job import DEFAULT_PROFILE, DEFAULT_WIDTH_DOTS, TicketJob, make_profile
from .states import (
    CoverOpen,
    DeviceNotReady,
    DeviceState,
    PaperOut,
    PaperState,
    PrinterError,
    PrinterStatus,
    PrinterTimeout,
)
from .status import REQUIRED_QUERIES, find_status_byte, parse_status
from .transports import PrinterUrl, Transport, open_transport, parse_printer_url
from .transports.base import WRITE_ONLY_DETAIL

DLE_EOT = b"\x10\x04"
# n=3 last: it only adds error detail, and some printers never answer it.
STATUS_QUERY_ORDER = (1, 2, 4, 3)
# Sent after a job: the reply can only come once the printer has received every byte before
# it (links are in order), so it confirms delivery, and it shows a link that died mid-job.
CONFIRM_QUERY = DLE_EOT + b"\x01"

__all__ = ["PrinterUrl", "TicketPrinter", "open_printer", "parse_printer_url"]


# -- the device -----------------------------------------------------------------------------
class _Failure(Exception):
    """Internal: the connection itself failed. Carries both views of the failure."""

    def __init__(self, state: DeviceState, error: type[PrinterError], message: str) -> None:
        super().__init__(message)
        self.state, self.error, self.message = state, error, message


def _connect_failure(where: str, e: OSError, timeout: float) -> _Failure:
    state, why = open_failure(e, timeout)
    error = PrinterTimeout if isinstance(e, TimeoutError) else DeviceNotReady
    return _Failure(state, error, f"{where}: {why}")


class TicketPrinter:
    """One ESC/POS ticket printer. Thread-safe: one lock serialises the connection."""

    def __init__(self, transport: Transport, url: str, timeout: float = 3.0,
                 profile: str | None = None, width_dots: int = DEFAULT_WIDTH_DOTS,
                 escpos_profile: object | None = None) -> None:
        self.url = url
        self.timeout = timeout
        self.profile_name = profile or DEFAULT_PROFILE
        self.width_dots = width_dots
        # open_printer hands over the profile it made for the transport: made once.
        self._profile = escpos_profile or make_profile(profile, width_dots)
        self._t = transport
        self._lock = threading.RLock()

    def __enter__(self) -> TicketPrinter:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @property
    def simulator(self) -> Any:
        """The in-process simulated printer behind a sim:// URL (to inject faults), else None."""
        return getattr(self._t, "simulator", None)

    def capabilities(self) -> dict[str, object]:
        supports = self._profile.supports  # type: ignore[attr-defined]
        return {
            "cutter": bool(supports("paperFullCut") or supports("paperPartCut")),
            "width_dots": self.width_dots,
            "native_qr": bool(supports("qrCode")),
            "status": self._t.can_read,
            "can_read": self._t.can_read,
            "profile": self.profile_name,
            "transport": self._t.description,
        }

    def new_job(self) -> TicketJob:
        """A TicketJob matching this printer's profile and paper width."""
        return TicketJob(self.profile_name, self.width_dots)

    # -- connection -------------------------------------------------------------------
    def _connect(self, timeout: float) -> None:
        try:
            self._t.connect(timeout)
        except OSError as e:
            self._t.discard()
            raise _connect_failure(self._t.description, e, timeout) from None

    def _ensure_connected(self, timeout: float) -> bool:
        """Connect if needed; True if the connection is new."""
        if self._t.is_open() and self._t.drain():
            return False
        # Not connected, or stale (printer restarted, unplugged, or closed an idle link).
        # Discard: whatever the old link still held belongs to a job already reported failed.
        self._t.discard()
        self._connect(timeout)
        return True

    def _lost(self, e: OSError, doing: str) -> _Failure:
        self._t.discard()
        if isinstance(e, TimeoutError):
            return _Failure(DeviceState.OFFLINE, PrinterTimeout,
                            f"{self._t.description}: timed out {doing}")
        return _Failure(DeviceState.OFFLINE, DeviceNotReady,
                        f"{self._t.description}: connection lost {doing} ({e})")

    def _query(self, timeout: float) -> tuple[PrinterStatus, bool]:
        """Ask DLE EOT 1, 2, 4, 3. Returns (status, silent); raises _Failure."""
        deadline = time.monotonic() + timeout
        if not self._t.can_read:
            self._ensure_connected(min(timeout, self.timeout))
            return PrinterStatus(DeviceState.ONLINE, PaperState.UNKNOWN,
                                 detail=f"{self._t.description}: {WRITE_ONLY_DETAIL}"), False
        if self._ensure_connected(min(timeout, self.timeout)):
            return self._exchange(deadline, timeout)
        try:
            return self._exchange(deadline, timeout)
        except _Failure:
            # A reused connection can die between the liveness check and the query (the
            # peer's FIN was still in flight): one fresh attempt before reporting trouble.
            self._connect(min(max(deadline - time.monotonic(), 0.05), self.timeout))
            return self._exchange(deadline, timeout)

    def _read_status_byte(self, buf: bytes, deadline: float, doing: str
                          ) -> tuple[int | None, bytes]:
        """Read until a DLE EOT reply shows up or ``deadline`` passes; (None, buf) on time-out."""
        while True:
            found = find_status_byte(buf)
            if found is not None:
                return found[0], buf[found[1]:]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None, buf
            try:
                chunk = self._t.recv(remaining)
            except TimeoutError:
                return None, buf
            except OSError as e:
                raise self._lost(e, doing) from None
            if not chunk:
                self._t.discard()
                raise _Failure(DeviceState.OFFLINE, DeviceNotReady,
                               f"{self._t.description}: printer closed the connection {doing}")
            buf += chunk

    def _exchange(self, deadline: float, timeout: float) -> tuple[PrinterStatus, bool]:
        replies: dict[int, int | None] = {}
        buf = b""
        unanswered = 0
        for n in STATUS_QUERY_ORDER:
            try:
                self._t.send(DLE_EOT + bytes((n,)), max(deadline - time.monotonic(), 0.05))
            except OSError as e:
                raise self._lost(e, "sending a status query") from None
            got, buf = self._read_status_byte(buf, deadline, "reading status")
            replies[n] = got
            if got is None:
                # A late reply would be misread as the answer to the next query: drop the
                # connection so the next call starts clean.
                self._t.discard()
                unanswered = n
                break
        status = parse_status(replies)
        silent = any(replies.get(n) is None for n in REQUIRED_QUERIES)
        if silent:
            status = replace(status, detail=f"{self._t.description}: no status reply to "
                                            f"DLE EOT {unanswered} within {timeout:g} s")
        return status, silent

    def _confirm(self, size: int, deadline: float, waited: float) -> None:
        """Wait until the printer answers a status query sent after the job. While no reply
        has come the link is watched: a printer that drops it fails at once."""
        doing = f"after sending {size} bytes (job lost)"
        try:
            self._t.send(CONFIRM_QUERY, max(deadline - time.monotonic(), 0.05))
        except OSError as e:
            raise self._lost(e, doing) from None
        got, _ = self._read_status_byte(b"", deadline, doing)
        if got is None:
            self._t.discard()
            raise _Failure(DeviceState.OFFLINE, PrinterTimeout,
                           f"{self._t.description}: sent {size} bytes but the printer did not "
                           f"confirm them within {waited:.1f} s")

    # -- public -----------------------------------------------------------------------
    def status(self, timeout: float = 1.0) -> PrinterStatus:
        """Current status; never raises for device trouble (that is what it reports)."""
        with self._lock:
            try:
                return self._query(timeout)[0]
            except _Failure as f:
                return PrinterStatus(f.state, PaperState.UNKNOWN, detail=f.message)

    def send_budget(self, size: int) -> float:
        """Seconds print_job() allows, from the start of sending, for the printer to confirm
        ``size`` bytes: their time on the wire at the link's slowest plausible pace (a TCP
        printer may sit behind a 9600-baud serial bridge), half again as margin, plus the
        printer timeout. Sending itself may take longer while the printer keeps accepting
        bytes; then the confirmation gets the printer timeout after the last one."""
        return self.timeout + 1.5 * self._t.transfer_time(size)

    def print_job(self, job: bytes) -> None:
        """Check status, send ``job``, confirm delivery. Raises PaperOut, CoverOpen,
        DeviceNotReady, PrinterTimeout (all PrinterError) instead of sending into a printer
        that cannot print, and when the link fails mid-job (the job is then lost: it is never
        resent, and what was not sent is discarded). Returning means the printer received
        every byte (on a write-only link such as file://: the device accepted them).
        A printer that accepts no byte for ``timeout`` s fails; one that keeps accepting is
        given ``send_budget(len(job))`` (plus the status timeout) or, if sending took
        longer, the printer timeout after the last byte went out."""
        data = bytes(job)
        if not data:
            raise ValueError("print_job() got an empty job")
        with self._lock:
            try:
                where = self._t.description
                if self._t.can_read:
                    st, silent = self._query(self.timeout)
                    if st.cover_open:
                        raise CoverOpen(f"{where}: cover open")
                    if st.paper is PaperState.OUT:
                        raise PaperOut(f"{where}: paper out")
                    if silent:
                        raise PrinterTimeout(st.detail)
                    if not st.can_print:
                        raise DeviceNotReady(f"{where}: printer {st.state.value}"
                                             + (f" ({st.detail})" if st.detail else ""))
                else:
                    self._ensure_connected(self.timeout)  # nothing to ask: just open it
                started = time.monotonic()
                try:
                    self._t.send(data, self.timeout)
                except OSError as e:
                    raise self._lost(e, f"sending {len(data)} bytes") from None
                if self._t.can_read:
                    # The reply comes once the printer has taken every byte: on a slow wire
                    # most of the job may still be in buffers on the way when send() returns.
                    deadline = max(started + self.send_budget(len(data)),
                                   time.monotonic() + self.timeout)
                    self._confirm(len(data), deadline, deadline - started)
            except _Failure as f:
                raise f.error(f.message) from None

    def close(self) -> None:
        with self._lock:
            self._t.release()


def open_printer(url: str, timeout: float = 3.0) -> TicketPrinter:
    """Printer for ``url`` (see drivers.printer.transports). Does not connect: the first
    status() or print_job() does, so a printer that is off at start-up is not an error here.
    sim:// (once drivers.sim is imported) starts its simulator here; close() stops it (a
    later call starts it again)."""
    if not timeout > 0:
        raise ValueError(f"timeout must be > 0, got {timeout!r}")
    u = parse_printer_url(url)
    escpos_profile = make_profile(u.profile, u.width_dots)
    return TicketPrinter(open_transport(u, escpos_profile), url, timeout, u.profile,
                         u.width_dots, escpos_profile)
