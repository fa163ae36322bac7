"""The fault matrix over both links the simulator offers: TCP and a pty (serial://).

Every test runs twice, once per link, against a real socket or a real pty pair. Waits are on
the simulator's conditions with bounds that are never expected to elapse; where a call must
*return* in time, it runs on a thread and the test waits on an Event (a liveness check).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from drivers.printer import (
    CoverOpen,
    DeviceNotReady,
    DeviceState,
    PaperOut,
    PaperState,
    PrinterError,
    PrinterStatus,
    PrinterTimeout,
    TicketJob,
    TicketPrinter,
    decode_job,
    open_printer,
)
from drivers.sim import SimPrinter

WAIT = 5.0  # upper bound for waits on the simulator; never expected to elapse


def ticket(number: str = "A-042", rows: int = 30) -> bytes:
    img = Image.new("1", (300, rows), 255)
    ImageDraw.Draw(img).rectangle((10, 5, 290, rows - 5), outline=0)
    return (TicketJob().init().align("center").text(number + "\n", 3, 3, True).raster(img)
            .qr(f"https://kiosk.example/t/{number}", 5).cut().to_bytes())


@pytest.fixture(params=["tcp", "pty"])
def sim(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SimPrinter]:
    pty = {"pty_link": tmp_path / "ttyPRINTER"} if request.param == "pty" else {}
    with SimPrinter(jobs_dir=tmp_path / "jobs", **pty) as s:
        yield s


@pytest.fixture
def printer(sim: SimPrinter) -> Iterator[TicketPrinter]:
    with open_printer(sim.url) as p:
        yield p


def test_url_matches_the_link(sim: SimPrinter) -> None:
    if sim.pty_link is None:
        assert sim.url == f"tcp://127.0.0.1:{sim.port}"
    else:
        assert sim.url == f"serial://{sim.pty_link}?baudrate=115200"
        assert os.readlink(sim.pty_link).startswith("/dev/pts/")


@pytest.mark.parametrize(("fault", "paper"), [(None, PaperState.FULL),
                                              ("paper-low", PaperState.LOW)])
def test_a_printer_that_can_print_prints(sim: SimPrinter, printer: TicketPrinter,
                                         fault: str | None, paper: PaperState) -> None:
    sim.set_fault(fault)
    s = printer.status()
    assert (s.state, s.paper, s.can_print) == (DeviceState.ONLINE, paper, True)
    job = ticket()
    printer.print_job(job)  # returns once the printer confirmed every byte
    assert sim.jobs == [job]
    assert sim.job_files[0].read_bytes() == job
    assert sim.rejected_bytes == 0 and sim.dropped_jobs == 0


@pytest.mark.parametrize(
    ("fault", "error", "state"),
    [("paper-out", PaperOut, DeviceState.USERERROR),
     ("cover-open", CoverOpen, DeviceState.USERERROR),
     ("offline", DeviceNotReady, DeviceState.OFFLINE)],
)
def test_a_printer_that_cannot_print_raises_the_typed_error(
        sim: SimPrinter, printer: TicketPrinter, fault: str, error: type[PrinterError],
        state: DeviceState) -> None:
    sim.set_fault(fault)
    assert printer.status().state is state
    with pytest.raises(error):
        printer.print_job(ticket())
    # The replies that made print_job refuse came after the simulator had read everything
    # sent before them: it has nothing more to process.
    assert sim.jobs == [] and sim.rejected_bytes == 0  # nothing was even sent


def test_silent_printer_is_offline_and_unknown(sim: SimPrinter, printer: TicketPrinter) -> None:
    sim.set_fault("silent")
    s = printer.status(timeout=0.2)
    assert (s.state, s.paper, s.can_print) == (DeviceState.OFFLINE, PaperState.UNKNOWN, False)
    assert "no status reply" in s.detail
    printer.timeout = 0.3
    with pytest.raises(PrinterTimeout):
        printer.print_job(ticket())
    assert sim.jobs == []


def test_garbage_replies_are_not_online(sim: SimPrinter, printer: TicketPrinter) -> None:
    sim.set_fault("garbage")
    for _ in range(3):  # status() never raises, whatever comes back
        s = printer.status(timeout=0.2)
        assert s.state is not DeviceState.ONLINE and not s.can_print
        assert s.paper is PaperState.UNKNOWN
    printer.timeout = 0.3
    with pytest.raises(PrinterError):
        printer.print_job(ticket())
    assert sim.jobs == []


def test_slow_printer_status_returns_within_its_timeout(sim: SimPrinter, printer: TicketPrinter,
                                                        run_bounded) -> None:
    sim.set_fault("slow", delay=3 * WAIT)  # answers far later than anyone waits
    s = run_bounded(lambda: printer.status(timeout=0.3), WAIT)
    assert isinstance(s, PrinterStatus)
    assert (s.state, s.paper, s.can_print) == (DeviceState.OFFLINE, PaperState.UNKNOWN, False)


def test_disconnect_mid_job_raises_and_records_nothing(sim: SimPrinter, printer: TicketPrinter,
                                                       run_bounded) -> None:
    job = ticket()
    assert printer.status().can_print
    sim.set_fault("disconnect-mid-job", after_bytes=len(job) // 2)
    caught = run_bounded(lambda: printer.print_job(job), printer.send_budget(len(job)) + WAIT)
    assert isinstance(caught, PrinterError), caught
    assert "job lost" in str(caught) or "connection lost" in str(caught)
    assert sim.jobs == [] and sim.dropped_jobs == 1
    assert sim.fault is None  # one shot
    if sim.pty_link is not None:  # on a serial line the drop is an unplug
        assert not sim.plugged and not os.path.lexists(sim.pty_link)
        assert printer.status().state is DeviceState.NODEVICE


def test_interrupted_job_is_never_printed_later(sim: SimPrinter,
                                                printer: TicketPrinter) -> None:
    first, second = ticket("A-001", rows=120), ticket("A-002")
    sim.set_fault("disconnect-mid-job", after_bytes=len(first) // 2)
    with pytest.raises(PrinterError):
        printer.print_job(first)
    sim.replug()  # no-op on TCP: only the connection was dropped
    printer.print_job(second)
    printer.close()
    sim.stop()  # joins the simulator: a left-over of the first job would be recorded now
    assert sim.jobs == [second]
    assert sim.jobs[0].startswith(b"\x1b@")
    d = decode_job(sim.jobs[0])
    assert d.texts == ["A-002"] and len(d.cuts) == 1 and not d.incomplete and d.unknown == 0
    assert d.qr_payloads == [b"https://kiosk.example/t/A-002"]


def test_unplug_and_replug_reconnects(sim: SimPrinter, printer: TicketPrinter) -> None:
    url = sim.url
    assert printer.status().can_print  # the printer keeps this link open
    sim.unplug()
    assert not sim.plugged
    for _ in range(2):
        s = printer.status()
        assert s.state in (DeviceState.OFFLINE, DeviceState.NODEVICE) and not s.can_print
        assert s.paper is PaperState.UNKNOWN
    with pytest.raises(DeviceNotReady):
        printer.print_job(ticket("A-001"))
    sim.replug()
    assert sim.url == url  # same port, same device path
    assert printer.status().state is DeviceState.ONLINE
    job = ticket("A-002")
    printer.print_job(job)
    assert sim.jobs == [job]


@pytest.mark.parametrize("link", ["tcp", "pty"])
def test_unplug_mid_job_loses_it(tmp_path: Path, link: str) -> None:
    """Pulled while a slow (9600 baud) job is on the wire: the job fails and is lost with the
    link; after replug only the next job prints, even once the simulator stops."""
    pty = {"pty_link": tmp_path / "ttyS0"} if link == "pty" else {}
    first, second = ticket("A-001", rows=80), TicketJob().init().text("A-002\n").cut().to_bytes()
    with SimPrinter(baudrate=9600, **pty) as sim, open_printer(sim.url) as p:
        assert p.status().can_print
        done = threading.Event()
        caught: list[BaseException] = []

        def attempt() -> None:
            try:
                p.print_job(first)
            except BaseException as e:  # inspected below
                caught.append(e)
            done.set()

        threading.Thread(target=attempt, daemon=True).start()
        assert sim.wait_for_bytes(len(first) // 4, WAIT)  # a quarter of it has arrived
        sim.unplug()
        assert done.wait(WAIT), "print_job did not notice the unplug"
        assert len(caught) == 1 and isinstance(caught[0], PrinterError), caught
        assert sim.dropped_jobs == 1
        sim.replug()
        p.print_job(second)
    assert sim.jobs == [second]


def test_9600_baud_pty_is_really_slow(tmp_path: Path) -> None:
    job = ticket(rows=50)  # ~2 KB: ~2.1 s on the wire
    with SimPrinter(pty_link=tmp_path / "ttyS9", baudrate=9600) as sim, \
            open_printer(sim.url) as p:
        assert sim.url.endswith("?baudrate=9600")
        assert p.status().can_print
        before = sim.bytes_received + 12  # print_job's own status queries: 4 x DLE EOT n
        printing = threading.Thread(target=p.print_job, args=(job,), daemon=True)
        printing.start()
        # The wire carries the job a few bytes at a time: its first bytes have arrived while
        # most of it is still on the way, and nothing is printed yet.
        assert sim.wait_for_bytes(before + 1, WAIT)
        assert sim.bytes_received < before + len(job) and sim.jobs == []
        printing.join(p.send_budget(len(job)) + WAIT)  # a bound, not the check
        assert sim.jobs == [job]


def test_pty_link_replaces_a_stale_symlink_but_not_a_file(tmp_path: Path) -> None:
    link = tmp_path / "ttyUSB9"
    link.symlink_to("/dev/pts/does-not-exist")
    with SimPrinter(pty_link=link) as sim, open_printer(sim.url) as p:
        assert os.readlink(link).startswith("/dev/pts/") and p.status().can_print
    assert not os.path.lexists(link)  # stop() unplugs
    link.write_bytes(b"")
    with pytest.raises(FileExistsError):
        SimPrinter(pty_link=link).start()


def test_jobs_render_to_png_beside_the_bin(tmp_path: Path) -> None:
    with SimPrinter(jobs_dir=tmp_path, render_png=True) as sim, open_printer(sim.url) as p:
        p.print_job(ticket("C-003"))
        assert sim.wait_for_jobs(1, WAIT)
    assert [f.name for f in sim.job_files] == ["job-0001.bin"]
    page = Image.open(tmp_path / "job-0001.png")
    assert page.width == 576
    assert [r.text for r in zxingcpp.read_barcodes(page)] == ["https://kiosk.example/t/C-003"]


def test_no_png_unless_asked(tmp_path: Path) -> None:
    with SimPrinter(jobs_dir=tmp_path) as sim, open_printer(sim.url) as p:
        p.print_job(ticket())
    assert sorted(f.name for f in tmp_path.iterdir()) == ["job-0001.bin"]


def test_sim_url_gives_an_in_process_simulator(tmp_path: Path) -> None:
    p = open_printer(f"sim://?fault=paper-low&jobs_dir={tmp_path}&render_png=1")
    try:
        sim = p.simulator
        assert isinstance(sim, SimPrinter) and sim.running
        assert p.capabilities()["transport"].startswith("sim://127.0.0.1:")
        assert p.status().paper is PaperState.LOW
        job = ticket()
        p.print_job(job)
        assert sim.jobs == [job] and (tmp_path / "job-0001.png").exists()
        sim.set_fault("cover-open")  # the caller injects faults through it
        with pytest.raises(CoverOpen):
            p.print_job(job)
        p.close()  # stops the simulator ...
        assert not sim.running
        assert p.status().cover_open  # ... and the next use starts it again, fault kept
        sim.set_fault(None)
        p.print_job(job)
        assert len(sim.jobs) == 2
    finally:
        p.close()
    assert not sim.running


def test_plain_sim_url_and_other_printers_are_independent() -> None:
    with open_printer("sim://") as a, open_printer("sim://?width_dots=384") as b:
        assert a.simulator is not b.simulator
        assert a.status().can_print and b.status().can_print
        assert b.simulator is not None and b.simulator.width_dots == 384
    assert open_printer("tcp://127.0.0.1:9").simulator is None


def test_sim_controls_reject_nonsense(sim: SimPrinter) -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        sim.set_fault("on-fire")
    with pytest.raises(ValueError, match="after_bytes"):
        sim.set_fault("disconnect-mid-job", after_bytes=0)
    with pytest.raises(ValueError, match="delay"):
        sim.set_fault("slow", delay=-1)
    with pytest.raises(RuntimeError, match="already started"):
        sim.start()
    sim.replug()  # plugged in already: nothing happens
    assert sim.plugged
    sim.stop()
    with pytest.raises(RuntimeError, match="not running"):
        sim.unplug()
