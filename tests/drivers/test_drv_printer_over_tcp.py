"""TicketPrinter <-> SimPrinter over a real TCP socket on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from drivers.printer import (
    CoverOpen,
    DeviceNotReady,
    DeviceState,
    PaperOut,
    PaperState,
    PrinterError,
    PrinterTimeout,
    TicketJob,
    Unsupported,
    decode_job,
    open_printer,
    parse_printer_url,
    render_job_png,
)
from drivers.sim import SimPrinter

WAIT = 5.0  # upper bound for waits on the simulator thread; never expected to elapse


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimPrinter]:
    with SimPrinter(jobs_dir=tmp_path / "jobs") as s:
        yield s


def ticket(number: str = "A-042") -> bytes:
    img = Image.new("1", (300, 30), 255)
    ImageDraw.Draw(img).rectangle((10, 5, 290, 25), outline=0)
    return (TicketJob().init().align("center").text(number + "\n", 3, 3, True).raster(img)
            .qr(f"https://kiosk.example/t/{number}", 5).cut().to_bytes())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_print_job_records_exactly_the_bytes(sim: SimPrinter) -> None:
    job = ticket()
    with open_printer(sim.url) as p:
        p.print_job(job)
        assert sim.wait_for_jobs(1, WAIT)
    assert sim.jobs == [job]  # the status queries before it are not part of the job
    assert sim.job_files[0].name == "job-0001.bin"
    assert sim.job_files[0].read_bytes() == job
    assert sim.status_queries >= 3 and sim.rejected_bytes == 0
    page = render_job_png(sim.jobs[0])
    assert [r.text for r in zxingcpp.read_barcodes(page)] == ["https://kiosk.example/t/A-042"]


@pytest.mark.parametrize(
    ("fault", "state", "paper", "cover", "can_print"),
    [
        (None, DeviceState.ONLINE, PaperState.FULL, False, True),
        ("paper-low", DeviceState.ONLINE, PaperState.LOW, False, True),
        ("paper-out", DeviceState.USERERROR, PaperState.OUT, False, False),
        ("cover-open", DeviceState.USERERROR, PaperState.FULL, True, False),
        ("offline", DeviceState.OFFLINE, PaperState.FULL, False, False),
    ],
)
def test_status_per_fault(sim: SimPrinter, fault: str | None, state: DeviceState,
                          paper: PaperState, cover: bool, can_print: bool) -> None:
    sim.set_fault(fault)
    with open_printer(sim.url) as p:
        s = p.status()
    assert (s.state, s.paper, s.cover_open, s.can_print) == (state, paper, cover, can_print)


def test_status_tracks_fault_changes_on_one_connection(sim: SimPrinter) -> None:
    with open_printer(sim.url) as p:
        seen = []
        for fault in (None, "paper-low", "paper-out", None):
            sim.set_fault(fault)
            seen.append(p.status().paper)
    assert seen == [PaperState.FULL, PaperState.LOW, PaperState.OUT, PaperState.FULL]


def test_silent_printer_is_offline_never_paper_ok(sim: SimPrinter) -> None:
    sim.set_fault("silent")
    with open_printer(sim.url, timeout=0.3) as p:
        s = p.status(timeout=0.2)
        assert (s.state, s.paper, s.can_print) == (DeviceState.OFFLINE, PaperState.UNKNOWN,
                                                    False)
        assert "DLE EOT 1" in s.detail
        with pytest.raises(PrinterTimeout):
            p.print_job(ticket())
    assert sim.wait_for_closed(2, WAIT)
    assert sim.jobs == []


@pytest.mark.parametrize(
    ("fault", "error"),
    [("paper-out", PaperOut), ("cover-open", CoverOpen), ("offline", DeviceNotReady)],
)
def test_print_into_a_printer_that_cannot_print(sim: SimPrinter, fault: str,
                                                error: type[PrinterError]) -> None:
    sim.set_fault(fault)
    with open_printer(sim.url) as p, pytest.raises(error):
        p.print_job(ticket())
    assert sim.wait_for_closed(1, WAIT)
    assert sim.jobs == []
    assert sim.rejected_bytes == 0  # nothing was even sent
    assert sim.status_queries >= 2


def test_unreachable_port(tmp_path: Path) -> None:
    p = open_printer(f"tcp://127.0.0.1:{free_port()}", timeout=1.0)
    s = p.status(timeout=1.0)
    assert s.state in (DeviceState.OFFLINE, DeviceState.NODEVICE)
    assert s.paper is PaperState.UNKNOWN and not s.can_print
    assert "refused" in s.detail

    done = threading.Event()
    caught: list[BaseException] = []

    def attempt() -> None:
        try:
            p.print_job(ticket())
        except BaseException as e:  # the test inspects whatever was raised
            caught.append(e)
        done.set()

    threading.Thread(target=attempt, daemon=True).start()
    assert done.wait(WAIT + 1.0), "print_job did not give up"
    assert len(caught) == 1 and isinstance(caught[0], PrinterError), caught
    assert isinstance(caught[0], DeviceNotReady)


def test_sequential_connections_one_ticket_each(sim: SimPrinter) -> None:
    jobs = [ticket(f"A-{n:03d}") for n in range(1, 4)]
    for job in jobs:
        with open_printer(sim.url) as p:
            p.print_job(job)
    assert sim.wait_for_jobs(3, WAIT)
    assert sim.jobs == jobs
    assert [f.name for f in sim.job_files] == ["job-0001.bin", "job-0002.bin", "job-0003.bin"]


def test_job_without_cut_ends_when_the_connection_closes(sim: SimPrinter) -> None:
    with open_printer(sim.url) as p:
        p.print_job(b"\x1b@no cut\n")
    assert sim.wait_for_jobs(1, WAIT)
    assert sim.jobs == [b"\x1b@no cut\n"]


def test_status_only_connection_is_not_a_job(sim: SimPrinter) -> None:
    with open_printer(sim.url) as p:
        assert p.status().can_print
    assert sim.wait_for_closed(1, WAIT)
    assert sim.jobs == [] and sim.status_queries == 4


def test_data_sent_while_faulted_is_rejected_not_printed(sim: SimPrinter) -> None:
    sim.set_fault("paper-out")
    job = ticket()
    with socket.create_connection((sim.host, sim.port)) as s:
        s.sendall(job + b"\x10\x04\x04")
        assert s.recv(1) == b"\x7e"  # processed in order: the job was seen before the reply
    assert sim.wait_for_closed(1, WAIT)
    assert sim.jobs == [] and sim.rejected_bytes == len(job)


def test_reconnects_after_the_printer_restarts(tmp_path: Path) -> None:
    first = SimPrinter(jobs_dir=tmp_path).start()
    port = first.port
    p = open_printer(first.url)
    try:
        assert p.status().can_print
        first.stop()  # the printer drops the connection p still holds
        with SimPrinter(port=port, jobs_dir=tmp_path) as second:
            p.print_job(ticket())
            assert second.wait_for_jobs(1, WAIT)
            assert second.job_files[0].name == "job-0001.bin"
    finally:
        p.close()


def test_numbering_continues_in_an_existing_jobs_dir(tmp_path: Path) -> None:
    (tmp_path / "job-0041.bin").write_bytes(b"old")
    with SimPrinter(jobs_dir=tmp_path) as s, open_printer(s.url) as p:
        p.print_job(ticket())
        assert s.wait_for_jobs(1, WAIT)
        assert s.job_files[0].name == "job-0042.bin"


def test_asb_blocks_do_not_confuse_status(sim: SimPrinter) -> None:
    with open_printer(sim.url) as p:
        p.print_job(b"\x1da\xff")  # enable Automatic Status Back on this connection
        sim.set_fault("paper-low")  # pushes an ASB block to the client
        s = p.status()
        assert (s.state, s.paper) == (DeviceState.ONLINE, PaperState.LOW)
        sim.set_fault("cover-open")
        assert p.status().cover_open


def test_wait_for_jobs_gives_up(sim: SimPrinter) -> None:
    assert sim.wait_for_jobs(1, 0.01) is False


def test_sim_rejects_unknown_fault(sim: SimPrinter) -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        sim.set_fault("on-fire")


def test_capabilities_and_url_parameters() -> None:
    p = open_printer("tcp://printer.local?width_dots=384&profile=TM-T20II")
    caps = p.capabilities()
    assert (caps["cutter"], caps["width_dots"], caps["native_qr"]) == (True, 384, True)
    assert caps["transport"] == "tcp://printer.local:9100"
    assert p.new_job().width_dots == 384


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "empty"),
        ("10.0.0.5:9100", "no scheme"),
        ("http://10.0.0.5", "unknown printer URL scheme"),
        ("tcp://", "no host"),
        ("tcp://host:port", "port must be"),
        ("tcp://host:70000", "port must be"),
        ("tcp://host:9100/queue", "path"),
        ("tcp://host:9100?speed=fast", "unknown parameter"),
        ("tcp://host:9100#x", "fragment"),
        ("tcp://u:pw@host:9100", "user"),
        ("tcp://host?width_dots=wide", "not an integer"),
        ("tcp://host?profile=NoSuchPrinter", "unknown python-escpos printer profile"),
    ],
)
def test_bad_urls(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        open_printer(url)


def test_ipv6_tcp_is_unsupported() -> None:
    # The other schemes are implemented now: see test_drv_printer_transports.py.
    with pytest.raises(Unsupported, match="IPv6"):
        open_printer("tcp://[::1]:9100")


def test_parse_printer_url_defaults() -> None:
    u = parse_printer_url("TCP://10.0.0.5")
    assert (u.scheme, u.host, u.port) == ("tcp", "10.0.0.5", 9100)


def test_decoded_job_from_the_wire_matches(sim: SimPrinter) -> None:
    with open_printer(sim.url) as p:
        p.print_job(ticket("B-007"))
        assert sim.wait_for_jobs(1, WAIT)
    d = decode_job(sim.jobs[0])
    assert d.texts == ["B-007"] and len(d.cuts) == 1
    assert d.qr_payloads == [b"https://kiosk.example/t/B-007"]


def test_one_connection_at_a_time_like_a_real_printer(sim: SimPrinter) -> None:
    with open_printer(sim.url) as holder:
        assert holder.status().can_print  # keeps its connection open
        served = sim.status_queries
        waiting = open_printer(sim.url)
        s = waiting.status(timeout=0.2)  # queued behind the holder: never read, no reply
        assert sim.status_queries == served  # the simulator did not even see its query
        assert (s.state, s.paper) == (DeviceState.OFFLINE, PaperState.UNKNOWN)
    assert waiting.status(timeout=WAIT).can_print  # holder closed: served now
    waiting.close()


@settings(max_examples=30, deadline=None)
@given(st.binary(max_size=300))
def test_sim_survives_garbage(data: bytes) -> None:
    with SimPrinter() as s:
        with socket.create_connection((s.host, s.port)) as c:
            c.sendall(data)
        assert s.wait_for_closed(1, WAIT)
        assert sum(len(j) for j in s.jobs) <= len(data)
        assert s.bytes_received == len(data)
        with open_printer(s.url) as p:
            assert p.status().can_print


# -- a slow or stalled link behind TCP (issue 10, item 9) -----------------------------------
HEALTHY_REPLY = b"\x12"  # a valid DLE EOT reply to n = 1, 2, 3 and 4 with no fault bit set


def stalled_printer(listener: socket.socket, answered: threading.Event,
                    release: threading.Event) -> None:
    """Answer one status() (DLE EOT 1, 2, 4, 3), then read nothing more until ``release``."""
    conn, _ = listener.accept()
    with conn:
        buf = b""
        for _ in range(4):
            while (i := buf.find(b"\x10\x04")) < 0 or len(buf) < i + 3:
                chunk = conn.recv(3 - len(buf) if i < 0 else i + 3 - len(buf))
                if not chunk:
                    return
                buf += chunk
            buf = buf[i + 3:]
            conn.sendall(HEALTHY_REPLY)
        answered.set()
        release.wait(60)


@pytest.mark.parametrize("size", [200, 4_000_000])
def test_a_printer_that_stops_accepting_bytes_fails_within_a_bound(size: int,
                                                                   run_bounded) -> None:
    """Small: the job fits the socket buffers, but no confirmation ever comes. Large: far
    more than the buffers hold, so sending stalls; the size-derived confirmation budget
    (hours at 9600 baud) does not apply, only the printer timeout without progress."""
    release, answered = threading.Event(), threading.Event()
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        server = threading.Thread(target=stalled_printer, daemon=True,
                                  args=(listener, answered, release))
        server.start()
        printer = open_printer(f"tcp://127.0.0.1:{listener.getsockname()[1]}", timeout=0.5)
        job = b"\x1b@" + b"x" * size
        try:
            caught = run_bounded(lambda: printer.print_job(job), 30)
        finally:
            release.set()
            printer.close()
            server.join(WAIT)
    assert answered.is_set()
    assert isinstance(caught, PrinterTimeout), caught
