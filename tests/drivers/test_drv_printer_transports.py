"""Transports other than TCP: serial (real ptys), pyserial URLs, file://, usb://; URL parsing.

The simulator's pty path is covered with the fault matrix in test_drv_printer_faults.py; here
are the things a simulator cannot show: a stalled line, a port locked by another program,
write-only devices, the URL grammar.
"""

from __future__ import annotations

import errno
import importlib.util
import os
import select
import threading
import tty
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.printer import (
    DeviceNotReady,
    DeviceState,
    PaperState,
    PrinterError,
    PrinterTimeout,
    PrinterUrl,
    TicketJob,
    Unsupported,
    open_printer,
    parse_printer_url,
)
from drivers.printer.ticket_printer import _connect_failure
from drivers.printer.transports.base import WRITE_ONLY_DETAIL
from drivers.printer.transports.usb import USB_PYUSB_MISSING
from drivers.sim import SimPrinter

WAIT = 5.0
JOB = TicketJob().init().text("A-042\n", 2, 2, True).qr("https://kiosk.example/t/A-042").cut(
).to_bytes()
HEALTHY = {1: 0x16, 2: 0x12, 3: 0x12, 4: 0x12}


@pytest.fixture
def pty_pair() -> Iterator[tuple[int, str]]:
    """(master fd, slave path) of a raw pty; the test plays the printer on the master."""
    master, slave = os.openpty()
    tty.setraw(slave)
    try:
        yield master, os.ttyname(slave)
    finally:
        for fd in (master, slave):
            os.close(fd)


def answer_status(master: int, answered: threading.Event) -> None:
    """Play a healthy printer for one status() (DLE EOT 1, 2, 4, 3), then read nothing more."""
    buf = b""
    for _ in range(4):
        while (i := buf.find(b"\x10\x04")) < 0 or len(buf) < i + 3:
            if not select.select([master], [], [], WAIT)[0]:
                return
            buf += os.read(master, 64)
        n, buf = buf[i + 2], buf[i + 3:]
        os.write(master, bytes((HEALTHY[n],)))
    answered.set()


# -- file:// ------------------------------------------------------------------------------
def test_file_writes_exactly_the_job_and_reports_paper_unknown(tmp_path: Path) -> None:
    dev = tmp_path / "lp0"
    dev.write_bytes(b"")  # file:// never creates: the device node must exist
    with open_printer(f"file://{dev}") as p:
        s = p.status()
        assert (s.state, s.paper, s.can_print) == (DeviceState.ONLINE, PaperState.UNKNOWN, True)
        assert WRITE_ONLY_DETAIL in s.detail
        assert p.capabilities()["can_read"] is False
        p.print_job(JOB)
        assert dev.read_bytes() == JOB  # no status query, no confirmation: only the job
        p.print_job(JOB)
    assert dev.read_bytes() == JOB + JOB  # appended, never truncated


def test_file_follows_a_replaced_device_node(tmp_path: Path) -> None:
    dev = tmp_path / "lp0"
    dev.write_bytes(b"")
    with open_printer(f"file://{dev}") as p:
        p.print_job(b"\x1b@one\n")
        dev.unlink()  # unplugged ...
        s = p.status()
        assert s.state is DeviceState.NODEVICE and "no such device" in s.detail
        with pytest.raises(DeviceNotReady):
            p.print_job(b"\x1b@lost\n")
        dev.write_bytes(b"")  # ... and plugged in again: a new node
        p.print_job(b"\x1b@two\n")
    assert dev.read_bytes() == b"\x1b@two\n"
    assert not (tmp_path / "lp0.tmp").exists()


def test_file_that_cannot_be_written_raises_device_not_ready() -> None:
    with open_printer("file:///dev/full") as p:  # opens, but every write fails (ENOSPC)
        assert p.status().state is DeviceState.ONLINE
        with pytest.raises(DeviceNotReady, match="No space left"):
            p.print_job(JOB)


def test_file_that_is_a_directory(tmp_path: Path) -> None:
    with open_printer(f"file://{tmp_path}") as p:
        assert not p.status().can_print
        with pytest.raises(DeviceNotReady):
            p.print_job(JOB)


# -- serial:// on real ptys -------------------------------------------------------------------
def test_missing_serial_port_is_nodevice(tmp_path: Path) -> None:
    with open_printer(f"serial://{tmp_path}/ttyUSB0?baudrate=38400") as p:
        s = p.status()
        assert (s.state, s.paper) == (DeviceState.NODEVICE, PaperState.UNKNOWN)
        assert "no such device" in s.detail
        with pytest.raises(DeviceNotReady, match="no such device"):
            p.print_job(JOB)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_serial_port_without_permission_is_a_user_error(pty_pair: tuple[int, str]) -> None:
    _master, path = pty_pair
    os.chmod(path, 0)
    with open_printer(f"serial://{path}") as p:
        s = p.status()
    assert s.state is DeviceState.USERERROR and "permission denied" in s.detail


def test_permission_errors_map_to_a_user_error() -> None:
    # The mapping itself, for when the suite runs as root and the test above is skipped.
    f = _connect_failure("serial:///dev/ttyUSB0", PermissionError(errno.EACCES, "denied"), 1.0)
    assert (f.state, f.error) == (DeviceState.USERERROR, DeviceNotReady)
    assert "dialout" in f.message


def test_serial_port_locked_by_another_program_is_busy(pty_pair: tuple[int, str]) -> None:
    _master, path = pty_pair
    with serial.Serial(path, exclusive=True):  # flock(): real even for root
        with open_printer(f"serial://{path}?exclusive=1") as p:
            s = p.status()
    assert s.state is DeviceState.BUSY and "busy" in s.detail


def test_stalled_serial_line_cannot_hang_print_job(pty_pair: tuple[int, str], run_bounded) -> None:
    """The printer answers status, then stops reading (flow control held forever): the
    write times out within the size-derived budget plus one write slice."""
    master, path = pty_pair
    answered = threading.Event()
    threading.Thread(target=answer_status, args=(master, answered), daemon=True).start()
    p = open_printer(f"serial://{path}?baudrate=4000000", timeout=0.5)
    big = b"\x1b@" + b"x" * 400_000  # far more than the pty buffers
    budget = p.send_budget(len(big))
    caught = run_bounded(lambda: p.print_job(big), budget + 2.0 + WAIT)
    p.close()
    assert answered.is_set()
    assert isinstance(caught, PrinterTimeout), caught


def test_serial_reads_do_not_wait_the_whole_timeout(pty_pair: tuple[int, str], run_bounded) -> None:
    """python-escpos Serial reads wait their whole timeout; ours return on the first byte."""
    master, path = pty_pair
    threading.Thread(target=answer_status, args=(master, threading.Event()),
                     daemon=True).start()
    with open_printer(f"serial://{path}") as p:
        s = run_bounded(lambda: p.status(timeout=30.0), WAIT)  # far below 4 x 30 s
    assert s.state is DeviceState.ONLINE  # type: ignore[attr-defined]


# -- pyserial URL handlers ----------------------------------------------------------------------
def test_socket_url_prints_through_pyserial(tmp_path: Path) -> None:
    with SimPrinter(jobs_dir=tmp_path) as sim, \
            open_printer(f"socket://127.0.0.1:{sim.port}?baudrate=115200") as p:
        assert p.capabilities()["transport"] == f"socket://127.0.0.1:{sim.port}"
        assert p.status().can_print
        p.print_job(JOB)
        assert sim.jobs == [JOB]
        sim.unplug()
        assert p.status().state is DeviceState.NODEVICE
        sim.replug()
        p.print_job(JOB)
        assert sim.jobs == [JOB, JOB]


def test_loop_url_hears_only_itself() -> None:
    with open_printer("loop://", timeout=0.3) as p:
        s = p.status(timeout=0.2)
        assert (s.state, s.paper) == (DeviceState.OFFLINE, PaperState.UNKNOWN)
        with pytest.raises(PrinterTimeout):
            p.print_job(JOB)


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_rfc2217_without_a_server_is_nodevice(unused_port: int, run_bounded) -> None:
    with open_printer(f"rfc2217://127.0.0.1:{unused_port}?timeout=1") as p:
        s = run_bounded(lambda: p.status(), WAIT)
    assert s.state is DeviceState.NODEVICE and "refused" in s.detail  # type: ignore[attr-defined]


# -- usb:// ---------------------------------------------------------------------------------
def test_usb_needs_pyusb_or_reports_nodevice() -> None:
    if importlib.util.find_spec("usb") is None:
        with pytest.raises(Unsupported) as e:
            open_printer("usb://04b8:0202")
        assert str(e.value) == USB_PYUSB_MISSING
    else:  # pyusb present: a device that is not there is NODEVICE, not an exception
        with open_printer("usb://ffff:fffe") as p:
            assert p.status().state is DeviceState.NODEVICE


# -- URL grammar ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "target", "options"),
    [
        ("serial:///dev/ttyUSB0", "/dev/ttyUSB0", {}),
        ("serial:///dev/ttyUSB0?baudrate=38400&bytesize=7&parity=e&stopbits=1.5&rtscts=1"
         "&xonxoff=false&dsrdtr=yes&exclusive=on&width_dots=384",
         "/dev/ttyUSB0",
         {"baudrate": 38400, "bytesize": 7, "parity": "E", "stopbits": 1.5, "rtscts": True,
          "xonxoff": False, "dsrdtr": True, "exclusive": True}),
        ("serial:///dev/serial/by-id/usb-Epson%20TM-if00", "/dev/serial/by-id/usb-Epson TM-if00",
         {}),
        ("loop://?baudrate=9600", "loop://", {"baudrate": 9600}),
        ("socket://10.0.0.7:4001?baudrate=19200", "socket://10.0.0.7:4001", {"baudrate": 19200}),
        ("rfc2217://10.0.0.7:2217?poll_modem=1&timeout=2&ign_set_control=0",
         "rfc2217://10.0.0.7:2217?poll_modem=&timeout=2.0", {}),
        ("file:///dev/usb/lp0", "/dev/usb/lp0", {}),
        ("usb://04b8:0202", "04b8:0202",
         {"vid": 0x04B8, "pid": 0x0202, "interface": 0, "in_ep": 0x82, "out_ep": 0x01}),
        ("usb://4B8:E15?interface=1&in_ep=0x81&out_ep=2", "04b8:0e15",
         {"vid": 0x04B8, "pid": 0x0E15, "interface": 1, "in_ep": 0x81, "out_ep": 2}),
        ("sim://?fault=paper-low&render_png=0", "", {"fault": "paper-low", "render_png": False}),
    ],
)
def test_good_urls(url: str, target: str, options: dict[str, object]) -> None:
    u = parse_printer_url(url)
    assert (u.target, u.options) == (target, options)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("serial:///dev/ttyUSB0?speed=fast&baudrate=9600", "unknown parameter.*speed"),
        ("serial:///dev/ttyUSB0?logging=debug", "unknown parameter.*logging"),
        ("serial:///dev/ttyUSB0?baudrate=fast", "baudrate='fast'.*not an integer"),
        ("serial:///dev/ttyUSB0?baudrate=0", "baudrate=0.*not 50"),
        ("serial:///dev/ttyUSB0?bytesize=9", "bytesize"),
        ("serial:///dev/ttyUSB0?parity=X", "parity"),
        ("serial:///dev/ttyUSB0?parity=EVEN", "parity"),
        ("serial:///dev/ttyUSB0?stopbits=3", "stopbits"),
        ("serial:///dev/ttyUSB0?rtscts=maybe", "not a boolean"),
        ("serial:///dev/ttyUSB0?baudrate=9600&baudrate=19200", "more than once"),
        ("serial://dev/ttyUSB0", "three slashes"),
        ("serial://", "no device path"),
        ("serial:///", "no device path"),
        ("serial:///dev/ttyUSB0#x", "fragment"),
        ("socket://10.0.0.7", "port"),
        ("socket://10.0.0.7:4001/x", "path"),
        ("rfc2217://h:1?timeout=nan", "timeout"),
        ("rfc2217://h:1?ign_set_control=perhaps", "not a boolean"),
        ("loop://host", "no host"),
        ("file://dev/usb/lp0", "three slashes"),
        ("file:///dev/usb/lp0?baudrate=9600", "unknown parameter.*baudrate"),
        ("usb://04b8", "VID:PID"),
        ("usb://04b8:02020", "VID:PID"),
        ("usb://04b8:0202?in_ep=300", "in_ep"),
        ("usb://04b8:0202?interface=x", "interface"),
        ("sim://?fault=on-fire", "fault"),
        ("sim://printer", "no host"),
        ("sim://?jobs_dir=", "jobs_dir"),
        ("hwgrep://ttyUSB", "unknown printer URL scheme"),
    ],
)
def test_bad_urls(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_printer_url(url)


def test_open_printer_reports_bad_serial_options_before_opening() -> None:
    with pytest.raises(ValueError, match="unknown parameter.*flow"):
        open_printer("serial:///dev/ttyUSB0?flow=rts")


SCHEMES = ["tcp", "serial", "loop", "socket", "rfc2217", "file", "usb", "sim", "TCP", "Serial",
           "http", "", "serial:"]
KEYS = ["baudrate", "bytesize", "parity", "stopbits", "rtscts", "xonxoff", "dsrdtr",
        "exclusive", "profile", "width_dots", "interface", "in_ep", "out_ep", "fault",
        "jobs_dir", "render_png", "timeout", "poll_modem", "ign_set_control", "x", ""]
NETLOCS = ["", "127.0.0.1:9100", "04b8:0202", "[::1]:1", "[::1", "h:0", "h:99999", "u:p@h:1",
           "localhost", "h:-1", "%zz"]
PATHS = ["", "/", "/dev/ttyUSB0", "/a%00b", "//x", "/dev/usb/lp0/"]
urls = st.one_of(
    st.text(max_size=60),
    st.builds(lambda s, rest: f"{s}://{rest}", st.sampled_from(SCHEMES), st.text(max_size=40)),
    st.builds(
        lambda s, n, p, q, f: f"{s}://{n}{p}" + (f"?{q}" if q else "") + f,
        st.sampled_from(SCHEMES), st.sampled_from(NETLOCS), st.sampled_from(PATHS),
        st.lists(st.tuples(st.sampled_from(KEYS), st.text(max_size=8)), max_size=4).map(
            lambda kv: "&".join(f"{k}={v}" for k, v in kv)),
        st.sampled_from(["", "#", "#x"])),
)


@settings(max_examples=400, deadline=None)
@given(urls)
def test_parse_printer_url_fuzz(url: str) -> None:
    try:
        u = parse_printer_url(url)
    except (ValueError, Unsupported):
        return
    assert isinstance(u, PrinterUrl)
    assert u.scheme in ("tcp", "serial", "loop", "socket", "rfc2217", "file", "usb", "sim")


def test_errors_from_every_transport_are_printer_errors(tmp_path: Path) -> None:
    for url in (f"serial://{tmp_path}/none", f"file://{tmp_path}/none", "loop://"):
        with open_printer(url, timeout=0.3) as p:
            with pytest.raises(PrinterError):
                p.print_job(JOB)
            assert not p.status(timeout=0.2).can_print


def test_profile_names_read_without_escpos_agree_with_escpos() -> None:
    """A printer URL's profile is checked against python-escpos's database file without
    importing python-escpos (drivers/printer/profiles.py): both know the same names."""
    from drivers.printer.job import known_profile_names
    from drivers.printer.profiles import DEFAULT_PROFILE, check_profile, profile_names

    assert profile_names() == known_profile_names()
    assert DEFAULT_PROFILE in profile_names()
    assert check_profile(None) == DEFAULT_PROFILE
    with pytest.raises(ValueError, match="unknown python-escpos printer profile 'TM-NOPE'"):
        check_profile("TM-NOPE")
    with pytest.raises(ValueError, match="TM-NOPE"):
        parse_printer_url("tcp://127.0.0.1?profile=TM-NOPE")
