"""The device services against the real simulators: the printer supervisor over TCP and
serial, the scanner service over a pty."""

from __future__ import annotations

import logging
import socket
import threading
import time

from drivers.printer import DeviceState, PaperState
from kiosk.devices import PrinterSupervisor, ScannerService
from kiosk.tickets import TicketService

WAIT = 5.0  # bounds a wait so a failing test cannot hang


def test_status_changes_reach_listeners_once_each(sim_printer) -> None:
    sup = PrinterSupervisor(sim_printer.url)
    seen = []
    sup.subscribe(seen.append)
    assert sup.check_now().state is DeviceState.ONLINE
    sup.check_now()  # unchanged: no second event
    sim_printer.set_fault("paper-out")
    assert sup.check_now().paper is PaperState.OUT
    assert [s.state for s in seen] == [DeviceState.ONLINE, DeviceState.USERERROR]


def test_paper_low_is_logged_for_staff(sim_printer, caplog) -> None:
    sup = PrinterSupervisor(sim_printer.url)
    sim_printer.set_fault("paper-low")
    with caplog.at_level(logging.WARNING, logger="kiosk.devices"):
        status = sup.check_now()
    assert status.can_print and status.paper is PaperState.LOW
    assert any("paper low" in r.getMessage() for r in caplog.records)


def test_a_poll_logs_nothing_and_a_change_logs_one_line(sim_printer, caplog) -> None:
    """Staff reading the journal see state changes, not polls (python-escpos used to log
    "Network printer enabled" / "Closing Network connection" at INFO on every poll)."""
    sup = PrinterSupervisor(sim_printer.url)
    sup.check_now()
    with caplog.at_level(logging.DEBUG):
        sup.check_now()
        sup.check_now()
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO] == []
        sim_printer.set_fault("paper-out")
        sup.check_now()
        sup.check_now()
    lines = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert [(r.name, r.levelno) for r in lines] == [("kiosk.devices", logging.ERROR)]
    assert "paper OUT" in lines[0].getMessage()


def test_unreachable_printer_is_reported_not_raised() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    status = PrinterSupervisor(f"tcp://127.0.0.1:{port}").check_now()
    assert not status.can_print and status.state in (DeviceState.NODEVICE, DeviceState.OFFLINE)


class Seen:
    """What a supervisor's listener was told, with the poll round it came in."""

    def __init__(self, sup: PrinterSupervisor) -> None:
        self.sup = sup
        self.events: list[tuple[int, DeviceState]] = []
        self.changed = threading.Condition()
        sup.subscribe(self._listener)

    def _listener(self, status) -> None:  # type: ignore[no-untyped-def]
        with self.changed:
            self.events.append((self.sup.rounds, status.state))
            self.changed.notify_all()

    def wait_for(self, state: DeviceState) -> int:
        """The round in which ``state`` was reported (waiting for it, bounded)."""
        with self.changed:
            assert self.changed.wait_for(
                lambda: bool(self.events) and self.events[-1][1] is state, timeout=10)
            return self.events[-1][0]


def test_background_poller_shows_a_fault_and_the_repair_in_the_next_round(sim_printer) -> None:
    sup = PrinterSupervisor(sim_printer.url, poll_interval=0.05)
    seen = Seen(sup)
    sup.start()
    try:
        seen.wait_for(DeviceState.ONLINE)
        for fault, state in (("cover-open", DeviceState.USERERROR),
                             ("paper-out", DeviceState.USERERROR), (None, DeviceState.ONLINE)):
            injected_in = sup.rounds  # a round already under way may have asked before
            sim_printer.set_fault(fault)
            seen.events.clear()
            assert seen.wait_for(state) <= injected_in + 1
    finally:
        sup.stop()
    assert sup.status.state is DeviceState.ONLINE and sup.status.cover_open is False


def test_an_unplugged_printer_is_polled_every_interval_and_its_return_shows_at_once(
        sim_printer) -> None:
    """No back-off: after a long outage the repair still shows in the next round, and the
    rounds keep their interval (the old 10/20/40 s back-off left the mark red ~25 s)."""
    assert PrinterSupervisor(sim_printer.url).poll_interval <= 1.0  # the kiosk's default
    sup = PrinterSupervisor(sim_printer.url, poll_interval=0.05)
    seen = Seen(sup)
    sup.start()
    try:
        seen.wait_for(DeviceState.ONLINE)
        sim_printer.unplug()
        unplugged_in = seen.wait_for(DeviceState.NODEVICE)
        told = len(seen.events)
        # 20 rounds of outage: with a back-off doubling from 0.05 s they would take hours;
        # at one interval each, about a second (the bound only stops a hang). An unchanged
        # state tells no listener, so the round counter is polled (waiting on `changed`
        # slept out the whole bound).
        deadline = time.monotonic() + 10
        while sup.rounds < unplugged_in + 20:
            assert time.monotonic() < deadline, f"{sup.rounds - unplugged_in} rounds in 10 s"
            time.sleep(0.01)  # polling a counter, bounded above
        assert len(seen.events) == told  # an unchanged state is not announced (nor logged)
        replugged_in = sup.rounds
        sim_printer.replug()
        assert seen.wait_for(DeviceState.ONLINE) <= replugged_in + 1
    finally:
        sup.stop()


def test_a_failed_print_turns_the_mark_red_at_once(config, store, sim_printer) -> None:
    """A ticket lost mid-job says so without waiting for a poll; the next poll tells
    whether the printer has recovered (here it has: the drop was one shot)."""
    sup = PrinterSupervisor(sim_printer.url)  # not started: no poll will come
    seen = Seen(sup)
    sim_printer.set_fault("disconnect-mid-job", after_bytes=100)
    ticket = TicketService(config, store, printers=sup).issue_ticket("A", "en")
    assert not ticket.printed
    assert not sup.status.can_print and ticket.problem in sup.status.detail
    assert [state for _, state in seen.events] == [DeviceState.ONLINE, DeviceState.OFFLINE]
    assert sup.check_now().can_print


def test_a_printed_ticket_leaves_the_mark_green(config, store, sim_printer) -> None:
    sup = PrinterSupervisor(sim_printer.url)
    sim_printer.set_fault("paper-out")
    assert not sup.check_now().can_print
    sim_printer.set_fault(None)  # the roll is changed; no poll has seen it yet
    assert TicketService(config, store, printers=sup).issue_ticket("A", "en").printed
    assert sup.status.can_print


def test_polling_and_printing_share_the_printer_without_blocking(config, store,
                                                                 sim_printer) -> None:
    """A port-9100 printer takes one connection at a time: the poller must not starve
    the ticket service (each exchange closes its connection)."""
    sup = PrinterSupervisor(sim_printer.url, poll_interval=0.001).start()
    try:
        service = TicketService(config, store, printers=sup)
        tickets = [service.issue_ticket("A", "en") for _ in range(10)]
    finally:
        sup.stop()
    assert all(t.printed for t in tickets), [t.problem for t in tickets]
    assert sim_printer.wait_for_jobs(10, timeout=10)


def test_supervisor_sees_an_unplugged_serial_printer_and_its_return(tmp_path) -> None:
    from drivers.sim import SimPrinter

    with SimPrinter(pty_link=tmp_path / "ttyPRINTER", baudrate=115200) as sim:
        sup = PrinterSupervisor(sim.url)
        assert not sup.close_after_use  # serial stays open between polls
        try:
            assert sup.check_now().state is DeviceState.ONLINE
            sim.unplug()
            assert not sup.check_now().can_print
            sim.replug()
            assert sup.check_now().state is DeviceState.ONLINE
        finally:
            sup.stop()


def test_tickets_over_a_serial_link(config, store, tmp_path) -> None:
    from dataclasses import replace

    from drivers.printer import decode_job
    from drivers.sim import SimPrinter

    with SimPrinter(pty_link=tmp_path / "ttyPRINTER", baudrate=115200) as sim:
        cfg = replace(config, printer_url=sim.url)
        sup = PrinterSupervisor(sim.url)
        try:
            ticket = TicketService(cfg, store, printers=sup).issue_ticket("A", "kpm")
        finally:
            sup.stop()
        assert ticket.printed
        assert sim.wait_for_jobs(1, timeout=10)
        assert decode_job(sim.jobs[0]).qr_payloads == [ticket.id.encode()]


def test_printer_url_carries_the_configured_profile_and_width() -> None:
    from kiosk.devices import printer_url

    assert printer_url("tcp://10.0.0.5:9100", "TM-T20II", 384) == (
        "tcp://10.0.0.5:9100?profile=TM-T20II&width_dots=384")
    assert printer_url("serial:///dev/ttyUSB0?baudrate=9600&width_dots=576", "TM-T20II", 384) == (
        "serial:///dev/ttyUSB0?baudrate=9600&width_dots=576&profile=TM-T20II")


def test_58_mm_printer_reports_its_width(sim_printer) -> None:
    from kiosk.devices import printer_url

    sup = PrinterSupervisor(printer_url(sim_printer.url, "TM-T20II", 384))
    with sup.printer() as printer:
        assert printer.capabilities()["width_dots"] == 384


# -- the scanner's host trigger (config devices.scanner_trigger) --------------------------
def test_honeywell_trigger_makes_the_scanner_read(tmp_path, caplog) -> None:
    from drivers.sim import SimScanner

    got = threading.Event()
    with SimScanner(tmp_path / "ttySCAN", honeywell_trigger=True) as sim:
        service = ScannerService(sim.url, trigger="honeywell").start()
        try:
            service.subscribe(lambda found: got.set())
            sim.scan(b"A-042")  # held by the scanner until it is told to read
            assert service.start_decode()
            assert got.wait(WAIT)
            assert service.stop_decode()
            assert sim.wait_for_commands(2, WAIT) and sim.commands == ["start", "stop"]
        finally:
            service.stop()
    assert "decode failed" not in caplog.text


def test_zebra_ssi_trigger_is_acknowledged_and_a_refusal_only_logged(tmp_path, caplog) -> None:
    from drivers.sim import SimScanner

    with SimScanner(tmp_path / "ttySCAN", ssi=True) as sim:
        service = ScannerService(sim.url, trigger="zebra-ssi").start()
        try:
            assert service.start_decode() and sim.reading
            sim.nak_next()
            with caplog.at_level(logging.WARNING, logger="kiosk.devices"):
                assert service.stop_decode() is False  # refused: logged, not raised
            assert sim.reading  # the scanner stays as it was
            assert [r.getMessage().count("\n") for r in caplog.records
                    if "stop_decode failed" in r.getMessage()] == [0]
        finally:
            service.stop()


def test_trigger_commands_never_raise_when_the_scanner_is_gone(tmp_path) -> None:
    from drivers.sim import SimScanner

    with SimScanner(tmp_path / "ttySCAN", ssi=True) as sim:
        service = ScannerService(sim.url, trigger="zebra-ssi").start()
        try:
            sim.unplug()
            assert service.start_decode() is False
        finally:
            service.stop()
    assert ScannerService("loop://", trigger="zebra-ssi").start_decode() is False  # not started


def test_without_a_trigger_nothing_is_sent(tmp_path) -> None:
    from drivers.sim import SimScanner

    with SimScanner(tmp_path / "ttySCAN") as sim:
        service = ScannerService(sim.url).start()
        try:
            assert service.start_decode() is False and service.stop_decode() is False
            assert sim.bytes_received == 0
        finally:
            service.stop()


# -- the identify step switches a host-triggered scanner on and off -------------------------
def test_a_triggered_scanner_reads_on_the_identify_step_only(tmp_path) -> None:
    from drivers.sim import SimScanner
    from kiosk.scan_trigger import IdentifyStepTrigger
    from kiosk.session import Screen, Session

    with SimScanner(tmp_path / "ttySCAN", honeywell_trigger=True) as sim:
        service = ScannerService(sim.url, trigger="honeywell").start()
        trigger = None
        try:
            session = Session(["vi", "en"], 60, 10, offer_identify=True)
            trigger = IdentifyStepTrigger(session, [service])
            session.start()
            assert sim.commands == []  # the language step needs no scanner
            session.choose_language("vi")
            assert session.screen is Screen.IDENTIFY
            assert sim.wait_for_commands(1, WAIT) and sim.commands == ["start"]
            got = threading.Event()
            service.subscribe(lambda found: got.set())
            sim.scan(b"A-042")
            assert got.wait(WAIT)  # read while the step shows
            session.skip_identify()
            assert sim.wait_for_commands(2, WAIT) and sim.commands == ["start", "stop"]
            session.home()
            session.finish()  # no step change that concerns the scanner: nothing sent
            session.start()
            session.choose_language("en")
            session.end()  # the visit ends on the identify step: the scanner stops
            assert sim.wait_for_commands(4, WAIT)
            assert sim.commands == ["start", "stop", "start", "stop"]
        finally:
            if trigger is not None:
                trigger.stop()
            service.stop()

