"""Device supervision: one owner per printer, polled in the background, changes announced.

The poller and the ticket service share one TicketPrinter under a lock. A port-9100
printer serves one connection at a time, so a TCP connection is closed after each use (a
staff member's `kiosk ticket` on another machine must not be locked out). Serial and USB
links stay open: reopening a serial port toggles DTR and python-escpos resets a USB
printer on every open.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import parse_qsl, urlencode

from drivers.printer import (
    DeviceState,
    PaperState,
    PrinterError,
    PrinterStatus,
    TicketPrinter,
    open_printer,
)
from kiosk.identity import Citizen, MachineReadableZone

log = logging.getLogger(__name__)

NOT_CHECKED = PrinterStatus(DeviceState.UNKNOWN, PaperState.UNKNOWN, detail="not checked yet")
# Seconds between status polls: a change of printer state shows on the staff mark within
# about two of them.
DEFAULT_POLL_INTERVAL = 1.0


def printer_url(url: str, profile: str, width_dots: int) -> str:
    """The configured URL with the config's profile and paper width, unless the URL itself
    says otherwise (its query wins: staff may test another printer with --printer)."""
    # Split by hand: urlunsplit would turn serial:///dev/x into serial:/dev/x.
    base, _, query_text = url.partition("?")
    query = dict(parse_qsl(query_text, keep_blank_values=True))
    query.setdefault("profile", profile)
    query.setdefault("width_dots", str(width_dots))
    return f"{base}?{urlencode(query)}"


def describe(status: PrinterStatus) -> str:
    """One line for staff: state, paper, cover, detail."""
    text = f"{status.state.name}, paper {status.paper.name}"
    if status.cover_open:
        text += ", cover open"
    if status.cutter_error:
        text += ", cutter error"
    if status.detail:
        text += f" ({status.detail})"
    return text


class PrinterSupervisor:
    """Polls the printer every ``poll_interval`` s, failing or not, so the staff mark shows a
    change within about two intervals both ways (no back-off: a long one kept the mark red
    for ~25 s after a repair). A poll is one short connection and four status bytes; an
    unchanged state is neither announced nor logged, so polling often floods nothing."""

    def __init__(
        self,
        url: str,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        printer_factory: Callable[[str], TicketPrinter] = open_printer,
    ) -> None:
        self.url = url
        self.poll_interval = poll_interval
        self._factory = printer_factory
        self._printer: TicketPrinter | None = None
        self.close_after_use = url.split(":", 1)[0].lower() == "tcp"
        # Re-entrant: a poll reports what it saw before a print can take the printer, so an
        # older poll never overwrites a print's outcome.
        self._lock = threading.RLock()
        self._listeners: list[Callable[[PrinterStatus], None]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.status: PrinterStatus = NOT_CHECKED
        self.rounds = 0  # polls the background poller has started

    # -- listeners -------------------------------------------------------------------
    def subscribe(self, listener: Callable[[PrinterStatus], None]) -> None:
        """`listener` is called, from whichever thread noticed, when the status changes."""
        self._listeners.append(listener)

    def report(self, status: PrinterStatus) -> None:
        """Record a status seen by anyone (the poller, or a print that just failed)."""
        previous, self.status = self.status, status
        if status == previous:
            return
        if status.can_print and status.paper is PaperState.LOW:
            log.warning("printer %s: paper low, change the roll soon", self.url)
        elif status.can_print:
            log.info("printer %s: ready (%s)", self.url, describe(status))
        else:
            log.error("printer %s: cannot print: %s", self.url, describe(status))
        for listener in list(self._listeners):
            listener(status)

    def print_failed(self, problem: str) -> None:
        """A ticket did not print: the mark turns red now, not at the next poll (which says
        whether the printer has recovered). A status that already says why is kept. A
        printed ticket needs no call: the check just before it reported the printer ready."""
        with self._lock:
            if self.status.can_print:
                self.report(PrinterStatus(DeviceState.OFFLINE, PaperState.UNKNOWN,
                                          detail=f"last ticket not printed: {problem}"))

    # -- shared access ---------------------------------------------------------------
    @contextmanager
    def printer(self) -> Iterator[TicketPrinter]:
        """The printer, for one exchange; closed afterwards. Raises PrinterError/ValueError
        if the URL cannot even be opened."""
        with self._lock:
            if self._printer is None:
                self._printer = self._factory(self.url)
            try:
                yield self._printer
            finally:
                if self.close_after_use:
                    self._printer.close()

    def check_now(self) -> PrinterStatus:
        with self._lock:
            try:
                with self.printer() as printer:
                    status = printer.status()
            except (PrinterError, ValueError) as exc:
                status = PrinterStatus(DeviceState.NODEVICE, PaperState.UNKNOWN,
                                       detail=str(exc))
            self.report(status)
        return status

    # -- background polling ------------------------------------------------------------
    def start(self) -> PrinterSupervisor:
        self._thread = threading.Thread(target=self._run, name="printer-supervisor",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        with self._lock:
            if self._printer is not None:
                self._printer.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            self.rounds += 1
            self.check_now()
            # Rounds start an interval apart: a slow poll (a silent printer's status
            # timeout) does not push the next one further out.
            self._stop.wait(max(0.0, started + self.poll_interval - time.monotonic()))


class ScannerService:
    """The QR scanner, with every scan classified (kiosk/scans.py) before anyone sees it.

    Listeners are called on the scanner's reader thread with a `Classified`; the UI hands
    it to the Kivy clock. A garbled read (a frame the driver dropped) arrives as UNKNOWN
    with a reason, so the citizen can be told to try again.
    """

    def __init__(self, url: str, trigger: str = "") -> None:
        self.url = url
        self.trigger = trigger  # config devices.scanner_trigger: "", "honeywell", "zebra-ssi"
        self._listeners: list[Callable[[object], None]] = []
        self._scanner = None

    def subscribe(self, listener: Callable[[object], None]) -> None:
        self._listeners.append(listener)

    def start(self) -> ScannerService:
        from drivers.scanner import open_scanner

        self._scanner = open_scanner(self.url, callback=self._on_event,
                                     trigger=self.trigger or None)
        return self

    def start_decode(self) -> bool:
        """Make a host-triggered scanner read (the identify step shows). Never raises: a
        scanner that does not answer is logged and left as it is. Without a trigger it does
        nothing. True if the scanner took the command."""
        return self.set_decoding(True)

    def stop_decode(self) -> bool:
        """Stop a host-triggered scanner reading; as start_decode()."""
        return self.set_decoding(False)

    def set_decoding(self, start: bool) -> bool:
        """start_decode() if `start`, else stop_decode()."""
        from drivers.scanner import ScannerError

        scanner = self._scanner
        if not self.trigger or scanner is None:
            return False
        try:
            if start:
                scanner.start_decode()
            else:
                scanner.stop_decode()
        except ScannerError as exc:
            log.warning("scanner %s: %s_decode failed: %s", self.url,
                        "start" if start else "stop", exc)
            return False
        return True

    @property
    def running(self) -> bool:
        """Whether the reader was opened and not stopped (staff mode's Devices tab)."""
        return self._scanner is not None

    def stop(self) -> None:
        if self._scanner is not None:
            self._scanner.close()
            self._scanner = None

    def _on_event(self, event) -> None:  # type: ignore[no-untyped-def]
        from drivers.scanner import Dropped
        from kiosk.scans import classify, garbled

        if isinstance(event, Dropped):
            found = garbled(event.reason)
        else:
            found = classify(event.payload)
        # Kinds and reasons only: a scan may hold an ID card's personal data.
        log.info("scan: %s%s", found.kind.value, f" ({found.problem})" if found.problem else "")
        self.handle(found)

    def handle(self, found: object) -> None:
        for listener in list(self._listeners):
            listener(found)


class MrzReaderService(ScannerService):
    """A serial MRZ reader (the back of the ID card): each MRZ read goes through the same
    classification and listeners as a scanned QR. URL as drivers.idcard.open_mrz_reader
    takes it, e.g. serial:///dev/ttyUSB1?baudrate=9600&kind=3m."""

    def start(self) -> MrzReaderService:
        from drivers.idcard import open_mrz_reader

        self._scanner = open_mrz_reader(self.url, on_event=self._on_mrz)
        return self

    def _on_mrz(self, event) -> None:  # type: ignore[no-untyped-def]
        from kiosk.scans import classify, garbled

        if isinstance(event, str):
            found = classify(event.encode("ascii", errors="replace"))
        else:  # BadFrame: a partial or corrupt read
            found = garbled(event)
        log.info("MRZ read: %s%s", found.kind.value,
                 f" ({found.problem})" if found.problem else "")
        self.handle(found)


class ChipReaderService:
    """The ID card's chip over PC/SC, read once the MRZ (which keys Basic Access Control)
    is known. Only offered where a reader is configured and pyscard is installed."""

    def __init__(self, reader: str, transport_factory: Callable[[], object] | None = None) -> None:
        self.reader = reader
        self._factory = transport_factory or self._pcsc

    def _pcsc(self) -> object:
        from drivers.idcard import PcscTransport

        return PcscTransport(None if self.reader == "*" else self.reader)

    def check(self) -> None:
        """Raises UnsupportedReader (with an install hint) where the chip cannot be read."""
        if self._factory == self._pcsc:
            import importlib.util

            from drivers.idcard import UnsupportedReader
            from drivers.idcard.chip import PYSCARD_HINT

            if importlib.util.find_spec("smartcard") is None:
                raise UnsupportedReader(PYSCARD_HINT)

    def read_identity(self, mrz: MachineReadableZone) -> Citizen:
        """The chip's identity (DG13: the full Vietnamese name and the address)."""
        from drivers.idcard import read_chip

        transport = self._factory()
        try:
            data = read_chip(transport, mrz)  # type: ignore[arg-type]
            try:
                return data.identity()
            finally:
                data.wipe()
        finally:
            close = getattr(transport, "close", None)
            if close is not None:
                close()
