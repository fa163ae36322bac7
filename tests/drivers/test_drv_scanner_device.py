"""The scanner over real links: a pty from SimScanner, pyserial's loop://, a TCP socket.

Waits are on queues, the scanner's status condition and the simulator's conditions, with
bounds that are never expected to elapse; nothing sleeps to synchronise.
"""

from __future__ import annotations

import queue
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from drivers.scanner import (
    DeviceState,
    Dropped,
    Scan,
    Scanner,
    ScannerStatus,
    ScannerTimeout,
    TriggerRejected,
    Unsupported,
    open_scanner,
)
from drivers.scanner.triggers import NAK_DENIED, NAK_RESEND
from drivers.sim import SimScanner

WAIT = 5.0  # upper bound for waits; never expected to elapse
FAST = (0.05, 0.4)  # reconnect back-off for tests
DOWN = {DeviceState.OFFLINE, DeviceState.NODEVICE}


def get(scanner: Scanner) -> Scan | Dropped:
    return scanner.scans.get(timeout=WAIT)


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimScanner]:
    with SimScanner(tmp_path / "ttySCAN") as s:
        yield s


@pytest.fixture
def scanner(sim: SimScanner) -> Iterator[Scanner]:
    with open_scanner(sim.url, backoff=FAST) as sc:
        yield sc


# -- reading over a pty ---------------------------------------------------------------------
def test_single_scan(sim: SimScanner, scanner: Scanner) -> None:
    assert scanner.status().state is DeviceState.ONLINE
    cccd = "001234567890|123456789|Nguyễn Văn A|01011990|Nam|Lạc Dương, Lâm Đồng|01012022"
    sim.scan(cccd.encode())
    scan = get(scanner)
    assert isinstance(scan, Scan)
    assert (scan.text(), scan.symbology, scan.aim) == (cccd, "QR", "]Q1")
    assert scanner.stats.scans == 1


@pytest.mark.parametrize(("sent", "terminator"), [
    (b"\r", "auto"), (b"\n", "auto"), (b"\r\n", "auto"),
    (b"\r", "CR"), (b"\n", "LF"), (b"\r\n", "CRLF"),
])
def test_terminators_over_a_pty(tmp_path: Path, sent: bytes, terminator: str) -> None:
    with SimScanner(tmp_path / "ttyT", terminator=sent, aim=False) as sim, \
            open_scanner(sim.url, terminator=terminator) as sc:  # type: ignore[arg-type]
        sim.burst([b"one", b"two"])
        assert [get(sc), get(sc)] == [Scan(b"one"), Scan(b"two")]  # no AIM id: no symbology


def test_burst_of_fifty_frames_in_one_write(sim: SimScanner, scanner: Scanner) -> None:
    sent = [f"HS-2024-{i:05d}".encode() for i in range(50)]
    sim.burst(sent, symbology="Code 128")
    got = [get(scanner) for _ in sent]
    assert [g.payload for g in got if isinstance(g, Scan)] == sent
    assert {g.symbology for g in got if isinstance(g, Scan)} == {"Code 128"}


def test_garbage_and_a_partial_frame_then_a_good_frame(sim: SimScanner) -> None:
    # aim="require": the scanner is set to send AIM ids, so a frame without one is noise.
    with open_scanner(sim.url, aim="require", frame_gap=0.2) as sc:
        sim.send_raw(b"\x00\xff\xfe\x13garbage\r")
        assert get(sc) == Dropped("no AIM symbology identifier (line noise?)", 11)
        sim.send_raw(b"]Q1half a fra")  # the cable is pulled mid-frame, say
        dropped = get(sc)
        assert isinstance(dropped, Dropped) and dropped.length == 13
        assert dropped.reason.startswith("incomplete frame")
        sim.scan(b"good")
        assert get(sc) == Scan(b"good", "QR", "]Q1")
        assert sc.stats.dropped == 2 and sc.status().state is DeviceState.ONLINE


def test_a_frame_written_in_two_pieces_is_one_scan(sim: SimScanner) -> None:
    with open_scanner(sim.url, frame_gap=None) as sc:
        sim.send_raw(b"]C0ABC")
        sim.send_raw(b"-123\r\n")
        assert get(sc) == Scan(b"ABC-123", "Code 128", "]C0")


def test_ten_kilobyte_frame_is_dropped_and_the_stream_resynchronises(
        sim: SimScanner, scanner: Scanner, caplog: pytest.LogCaptureFixture) -> None:
    secret = b"]Q1" + b"S3CR3T" * 1707  # 10,245 bytes
    sim.send_raw(secret + b"\r")
    sim.scan(b"after")
    assert get(scanner) == Dropped("frame longer than 4096 bytes", len(secret))
    assert get(scanner) == Scan(b"after", "QR", "]Q1")
    # The reason and the length are logged, never the payload.
    assert "dropped a 10245-byte frame" in caplog.text and "S3CR3T" not in caplog.text


def test_repeats_within_the_window_are_reported_once(sim: SimScanner) -> None:
    with open_scanner(sim.url, dedupe_window=60.0) as sc:
        sim.scan(b"receipt-42")
        sim.scan(b"receipt-42")
        sim.scan(b"receipt-43")
        assert [get(sc), get(sc)] == [Scan(b"receipt-42", "QR", "]Q1"),
                                      Scan(b"receipt-43", "QR", "]Q1")]
        assert sc.stats.duplicates == 1 and sc.stats.frames == 3


def test_callback_instead_of_the_queue(sim: SimScanner) -> None:
    got: queue.Queue[Scan | Dropped] = queue.Queue()
    with open_scanner(sim.url, callback=got.put) as sc:
        sim.scan(b"cb", symbology="EAN-13")
        assert got.get(timeout=WAIT) == Scan(b"cb", "EAN-13", "]E0")
        assert sc.scans.empty()


def test_a_failing_callback_is_logged_without_the_payload(
        sim: SimScanner, caplog: pytest.LogCaptureFixture) -> None:
    calls: queue.Queue[bytes] = queue.Queue()

    def boom(event: Scan | Dropped) -> None:
        assert isinstance(event, Scan)
        calls.put(event.payload)
        raise ValueError(f"cannot parse {event.payload!r}")

    with open_scanner(sim.url, callback=boom):
        sim.scan(b"PRIVATE-1")
        assert calls.get(timeout=WAIT) == b"PRIVATE-1"
        sim.scan(b"PRIVATE-2")
        assert calls.get(timeout=WAIT) == b"PRIVATE-2"  # the reader survived the first
    assert "callback raised ValueError" in caplog.text and "PRIVATE" not in caplog.text


# -- unplug, replug, absent at start --------------------------------------------------------
def test_unplug_then_replug_resumes_scanning(sim: SimScanner) -> None:
    states: list[DeviceState] = []
    with open_scanner(sim.url, backoff=FAST, on_status=lambda s: states.append(s.state)) as sc:
        sim.scan(b"before")
        assert get(sc) == Scan(b"before", "QR", "]Q1")
        sim.unplug()
        assert sc.wait_status(DOWN, WAIT)
        assert "connection lost" in sc.status().detail or "no such device" in sc.status().detail
        sim.replug()
        assert sc.wait_status(DeviceState.ONLINE, WAIT)
        sim.scan(b"after")
        assert get(sc) == Scan(b"after", "QR", "]Q1")
        assert sc.stats.reconnects == 1
    assert states[0] is DeviceState.ONLINE and DeviceState.OFFLINE in states
    assert states[-2:] == [DeviceState.ONLINE, DeviceState.OFFLINE]  # last: closed


def test_absent_at_start_then_plugged_in(tmp_path: Path) -> None:
    link = tmp_path / "ttyLATER"
    with open_scanner(str(link), backoff=FAST) as sc:  # a bare device path
        st = sc.status()
        assert st.state is DeviceState.NODEVICE and "no such device" in st.detail
        with SimScanner(link) as sim:
            assert sc.wait_status(DeviceState.ONLINE, WAIT)
            sim.scan(b"hello")
            assert get(sc) == Scan(b"hello", "QR", "]Q1")


def test_second_reader_on_the_same_port_is_busy(sim: SimScanner, scanner: Scanner) -> None:
    with open_scanner(sim.url, backoff=FAST) as other:
        st = other.status()
        assert st.state is DeviceState.BUSY and "in use by another program" in st.detail
    sim.scan(b"mine")
    assert get(scanner) == Scan(b"mine", "QR", "]Q1")


def test_close_stops_the_reader_promptly(sim: SimScanner, run_bounded) -> None:
    sc = open_scanner(sim.url)
    thread = sc._thread  # noqa: SLF001  (the point of the test)
    assert thread is not None and thread.is_alive()
    run_bounded(sc.close, WAIT)
    assert not thread.is_alive()
    assert sc.status() == ScannerStatus(DeviceState.OFFLINE, f"{sc.description}: closed")


def test_close_while_reconnecting_is_prompt(tmp_path: Path, run_bounded) -> None:
    sc = open_scanner(str(tmp_path / "absent"), backoff=(5.0, 5.0))  # sleeping in back-off
    run_bounded(sc.close, WAIT)
    assert sc._thread is not None and not sc._thread.is_alive()  # noqa: SLF001


# -- host trigger ---------------------------------------------------------------------------
def test_honeywell_trigger_round_trip(tmp_path: Path) -> None:
    with SimScanner(tmp_path / "ttyHON", honeywell_trigger=True) as sim, \
            open_scanner(sim.url, trigger="honeywell") as sc:
        assert sim.scan(b"queued") is False  # not reading: nothing sent yet
        assert sim.frames_sent == 0
        sc.start_decode()  # SYN T CR
        assert get(sc) == Scan(b"queued", "QR", "]Q1")
        assert sim.commands == ["start"] and not sim.reading  # a good read ends the trigger
        sc.start_decode()
        assert sim.wait_for_reading(True, WAIT)
        sc.stop_decode()  # SYN U CR
        assert sim.wait_for_reading(False, WAIT)
        assert sim.commands == ["start", "start", "stop"]
        assert sim.bytes_received == 9


def test_zebra_ssi_start_decode_waits_for_the_ack(tmp_path: Path) -> None:
    with SimScanner(tmp_path / "ttyZEB", ssi=True) as sim, \
            open_scanner(sim.url, trigger="zebra-ssi") as sc:
        sim.scan(b"9780201379624", symbology="EAN-13")
        sc.start_decode()  # returns on CMD_ACK
        assert sim.commands == ["start"]
        assert get(sc) == Scan(b"9780201379624", "EAN-13", "]E0")  # ACK not glued to it
        sc.start_decode()
        sc.stop_decode()
        assert sim.commands == ["start", "start", "stop"] and not sim.reading


def test_zebra_ssi_nak_is_a_typed_error(tmp_path: Path) -> None:
    with SimScanner(tmp_path / "ttyZEB", ssi=True) as sim, \
            open_scanner(sim.url, trigger="zebra-ssi") as sc:
        sim.nak_next(NAK_DENIED)
        with pytest.raises(TriggerRejected, match="denied") as err:
            sc.start_decode()
        assert err.value.cause == NAK_DENIED
        sim.nak_next(NAK_RESEND)  # "checksum failure, send again": resent once, then ACKed
        sc.start_decode()
        assert sim.commands == [f"nak-{NAK_DENIED}", f"nak-{NAK_RESEND}", "start"]


def test_zebra_ssi_without_an_answer_times_out() -> None:
    with open_scanner("loop://", trigger="zebra-ssi") as sc:  # echoes: no decoder to answer
        with pytest.raises(ScannerTimeout, match="no ACK to START_DECODE"):
            sc.start_decode(timeout=0.2)


def test_trigger_without_a_configured_trigger_is_unsupported(scanner: Scanner) -> None:
    with pytest.raises(Unsupported, match="no host trigger"):
        scanner.start_decode()


# -- other transports -----------------------------------------------------------------------
def test_loop_url_reads_what_is_sent() -> None:
    with open_scanner("loop://") as sc:
        sc.send(b"]C0ABC-123\r\n]Q1second\n")
        assert get(sc) == Scan(b"ABC-123", "Code 128", "]C0")
        assert get(sc) == Scan(b"second", "QR", "]Q1")
        assert sc.capabilities()["transport"] == "loop://"


def test_socket_url_reads_reports_a_cut_frame_and_reconnects() -> None:
    states: queue.Queue[DeviceState] = queue.Queue()
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        server.settimeout(WAIT)
        with open_scanner(f"socket://127.0.0.1:{port}", backoff=FAST,
                          on_status=lambda s: states.put(s.state)) as sc:
            assert states.get(timeout=WAIT) is DeviceState.ONLINE
            conn, _ = server.accept()  # after open_scanner: its input flush is over
            with conn:
                conn.sendall(b"]Q1over tcp\r]Q1cut")  # then the peer goes away mid-frame
            assert get(sc) == Scan(b"over tcp", "QR", "]Q1")
            cut = get(sc)
            assert isinstance(cut, Dropped) and cut.length == 6
            assert states.get(timeout=WAIT) in DOWN
            conn, _ = server.accept()  # the driver came back by itself
            with conn:
                while (state := states.get(timeout=WAIT)) is not DeviceState.ONLINE:
                    assert state in DOWN
                conn.sendall(b"]Q1again\r")
                assert get(sc) == Scan(b"again", "QR", "]Q1")
            assert sc.stats.reconnects == 1


def test_evdev_without_python_evdev_is_unsupported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "evdev", None)  # what an absent package looks like
    with pytest.raises(Unsupported, match=r"pip install .lobby-kiosk\[evdev\]."):
        open_scanner("evdev:///dev/input/event0")


def test_evdev_takes_no_trigger() -> None:
    with pytest.raises(ValueError, match="keyboard-wedge"):
        open_scanner("evdev:///dev/input/event0", trigger="honeywell")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"trigger": "datalogic"}, "trigger"),
    ({"frame_gap": 0}, "frame_gap"),
    ({"backoff": (1.0, 0.5)}, "backoff"),
    ({"terminator": "ETX"}, "terminator"),
    ({"dedupe_window": -1}, "dedupe"),
    ({"queue_size": 0}, "queue_size"),
])
def test_bad_arguments_are_value_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        open_scanner("loop://", **kwargs)  # type: ignore[arg-type]
