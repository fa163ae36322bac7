"""The `kiosk` command's own wiring: dispatch, what parsing costs, the simulators' console."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from drivers.scanner import DeviceState, Scan, open_scanner
from drivers.sim import FAULTS, SAMPLE_CCCD, SimPrinter, SimScanner
from kiosk import cli, sim_console

ROOT = Path(__file__).resolve().parents[1]
WAIT = 5.0  # upper bound for waits; never expected to elapse


def test_every_command_runs_a_function() -> None:
    commands = next(a for a in cli.build_parser()._actions if a.dest == "command").choices
    assert set(commands) == set(cli.COMMANDS)
    for name in commands:
        assert callable(cli._command(name))


def test_the_parser_knows_every_simulated_fault() -> None:
    assert cli.FAULTS == tuple(f for f in FAULTS if f)


@pytest.mark.parametrize(("argv", "stdin", "not_loaded"), [
    (["decode", "--json"], "abc", ("kivy", "kiosk.ui", "drivers.printer", "drivers.scanner",
                                  "drivers.sim", "kiosk.store")),
    (["ticket", "--service", "Z"], "", ("kivy", "kiosk.ui")),
])
def test_light_commands_load_neither_kivy_nor_what_they_do_not_use(
        argv: list[str], stdin: str, not_loaded: tuple[str, ...]) -> None:
    probe = ("import sys; from kiosk.cli import main; code = main(sys.argv[1:]); "
             f"print(sorted(m for m in sys.modules if m.startswith({not_loaded!r})), "
             "file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", probe, *argv], input=stdin, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.stderr.splitlines()[-1] == "[]"


def test_console_sets_and_clears_printer_faults(capsys: pytest.CaptureFixture[str]) -> None:
    with SimPrinter() as printer:
        sim_console._obey("paper-out", printer, None)
        assert printer.fault == "paper-out"
        sim_console._obey("ok", printer, None)
        assert printer.fault is None
        sim_console._obey("scan-id", printer, None)  # no simulated scanner: not a command
    assert capsys.readouterr().out.splitlines() == [
        "simulated printer: paper-out", "simulated printer: ok",
        f"unknown command 'scan-id'; expected {sim_console.SIM_COMMANDS}"]


def test_console_scans_the_sample_card(tmp_path: Path) -> None:
    with SimPrinter() as printer, SimScanner(tmp_path / "ttySCAN") as scanner, \
            open_scanner(scanner.url) as reader:
        assert reader.wait_status(DeviceState.ONLINE, WAIT)
        sim_console._obey("scan-id", printer, scanner)
        assert reader.scans.get(timeout=WAIT) == Scan(SAMPLE_CCCD.encode(), "QR", "]Q1")


def test_a_reader_that_stops_early_gets_no_traceback(tmp_path: Path) -> None:
    """`kiosk … | head -1`: the pipe closes under the command; it ends quietly."""
    import os

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line is written
    try:
        done = subprocess.run([sys.executable, "-m", "kiosk", "i18n", "report"], cwd=ROOT,
                              stdout=write_end, stderr=subprocess.PIPE, timeout=60)
    finally:
        os.close(write_end)
    assert "Traceback" not in done.stderr.decode()
    assert "BrokenPipe" not in done.stderr.decode()
    assert done.returncode == 1
