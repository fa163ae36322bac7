"""Staff mode's Devices tab rows (kiosk/device_report.py), from a simulated printer, scanner
and MRZ reader, and the centre link's states, in Vietnamese and English."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from drivers.printer import DeviceState, PaperState, PrinterStatus
from drivers.sim import SimMrzReader, SimScanner
from kiosk.centre_link import OFFLINE, ONLINE, SYNCING, UNKNOWN, LinkState
from kiosk.config import CentreLinkSettings
from kiosk.device_report import device_rows, printer_state
from kiosk.devices import MrzReaderService, PrinterSupervisor, ScannerService, printer_url


def states(rows) -> list[tuple[str, str, bool]]:  # type: ignore[no-untyped-def]
    return [(r.key, r.state, r.ok) for r in rows]


@pytest.mark.parametrize(("fault", "vi", "en", "ok"), [
    (None, "Sẵn sàng", "Ready", True),
    ("paper-low", "Sắp hết giấy", "Paper low", True),
    ("paper-out", "Hết giấy", "Paper out", False),
    ("cover-open", "Nắp máy đang mở", "Cover open", False),
    ("offline", "Mất kết nối", "Offline", False),
])
def test_the_printer_row_follows_the_printer(config, sim_printer, fault, vi: str, en: str,
                                             ok: bool) -> None:  # type: ignore[no-untyped-def]
    sim_printer.set_fault(fault)
    status = PrinterSupervisor(printer_url(sim_printer.url, "TM-T20II", 576)).check_now()
    row = device_rows(config, status, (), None, None)[0]
    assert (row.key, row.name, row.state, row.ok) == ("printer", "Máy in", vi, ok)
    assert sim_printer.url in row.detail
    assert device_rows(config, status, (), None, None, lang="en")[0].state == en
    # K'Ho has no staff texts: Vietnamese stands in, never English.
    assert device_rows(config, status, (), None, None, lang="kpm")[0].name == "Máy in"


def test_a_printer_that_cannot_be_reached() -> None:
    status = PrinterSupervisor(printer_url("tcp://127.0.0.1:9", "TM-T20II", 576)).check_now()
    assert printer_state(status) == ("Not found", False)  # nothing listens on port 9
    assert printer_state(PrinterStatus(DeviceState.ONLINE, PaperState.JAMMED)) == (
        "Paper jammed", False)
    assert printer_state(PrinterStatus(DeviceState.UNKNOWN, PaperState.UNKNOWN)) == (
        "Not checked yet", False)


def test_readers_and_the_link(config, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ready = PrinterStatus(DeviceState.ONLINE, PaperState.FULL)
    assert states(device_rows(config, ready, (), None, None, "en")) == [
        ("printer", "Ready", True), ("scanner", "Not configured", True),
        ("mrz_reader", "Not configured", True), ("chip_reader", "Not configured", True),
        ("centre_link", "Not used", True)]
    with SimScanner(tmp_path / "ttySCAN") as scanner, \
            SimMrzReader(tmp_path / "ttyMRZ", kind="3m") as mrz:
        cfg = replace(config, scanner_url=scanner.url, mrz_reader_url=mrz.url,
                      chip_reader="*",
                      centre_link=CentreLinkSettings(url="https://centre.lan:8443"))
        scans = [ScannerService(scanner.url).start()]
        try:
            at = datetime(2026, 11, 30, 1, 5, tzinfo=UTC)
            rows = device_rows(cfg, ready, scans, None, LinkState(OFFLINE, at, 3), "vi")
            assert states(rows)[1:] == [
                ("scanner", "Đã kết nối", True), ("mrz_reader", "Chưa kết nối", False),
                ("chip_reader", "Không dùng được", False),
                ("centre_link", "Mất kết nối từ 08:05", False)]  # the centre's local time
            assert "3 tickets to send" in rows[4].detail
            scans.append(MrzReaderService(mrz.url).start())
            rows = device_rows(cfg, ready, scans, None, LinkState(SYNCING, at, 2), "en")
            assert states(rows)[2:] == [
                ("mrz_reader", "Connected", True), ("chip_reader", "Not available", False),
                ("centre_link", "Sending tickets (2 left)", True)]
            for kind, words in ((ONLINE, "Connected"), (UNKNOWN, "Not checked yet")):
                assert device_rows(cfg, ready, scans, None, LinkState(kind), "en")[4].state \
                    == words
            scans[0].stop()
            assert device_rows(cfg, ready, scans, None, None, "en")[1].state == "Not connected"
        finally:
            for source in scans:
                source.stop()
