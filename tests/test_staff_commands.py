"""Staff commands against the real simulated printer: doctor, test-print, print-preview."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from drivers.printer import decode_job
from kiosk.cli import main
from kiosk.paths import ROOT


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_doctor_reports_a_healthy_printer(sim_printer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--printer", sim_printer.url, "--json"]) == 0
    [report] = json.loads(capsys.readouterr().out)
    assert report["url"] == f"{sim_printer.url}?profile=TM-T20II&width_dots=576"
    assert (report["state"], report["paper"], report["can_print"]) == ("ONLINE", "FULL", True)
    assert report["capabilities"]["width_dots"] == 576


@pytest.mark.parametrize(("fault", "state", "paper"), [
    ("paper-out", "USERERROR", "OUT"),
    ("paper-low", "ONLINE", "LOW"),
    ("cover-open", "USERERROR", None),
])
def test_doctor_names_the_fault(sim_printer, capsys: pytest.CaptureFixture[str], fault: str,
                                state: str, paper: str | None) -> None:
    sim_printer.set_fault(fault)
    code = main(["doctor", "--printer", sim_printer.url, "--json"])
    [report] = json.loads(capsys.readouterr().out)
    assert report["state"] == state
    if paper:
        assert report["paper"] == paper
    assert code == (0 if report["can_print"] else 1)
    if fault == "cover-open":
        assert report["cover_open"] is True


def test_doctor_on_an_unreachable_printer_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"tcp://127.0.0.1:{closed_port()}"
    assert main(["doctor", "--printer", url]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"FAIL printer  {url}?profile=")


def test_doctor_with_a_bad_url_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--printer", "tcp://printer:notaport"]) == 2
    assert capsys.readouterr().err.startswith("kiosk: error: --printer 'tcp://printer:notaport'")


def test_test_print_shows_every_language_and_a_readable_qr(sim_printer, tmp_path: Path,
                                                          capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["test-print", "--printer", sim_printer.url]) == 0
    assert sim_printer.wait_for_jobs(1, timeout=10)
    raw = sim_printer.jobs[0]
    job = decode_job(raw)
    assert job.qr_payloads == [b"TEST-PRINT"] and len(job.cuts) == 1
    assert "English (en)" in [t.strip() for t in job.texts]
    # Vietnamese and Kơho names and letters, drawn as raster
    assert len(job.raster_blocks(576)) >= 4
    jobfile = tmp_path / "job.bin"
    jobfile.write_bytes(raw)
    png = tmp_path / "job.png"
    assert main(["print-preview", str(jobfile), "--png", str(png)]) == 0
    with Image.open(png) as img:
        assert img.width == 576
        assert [r.text for r in zxingcpp.read_barcodes(img.convert("L"))] == ["TEST-PRINT"]


def test_test_print_refuses_an_empty_printer(sim_printer, capsys) -> None:  # type: ignore[no-untyped-def]
    sim_printer.set_fault("paper-out")
    assert main(["test-print", "--printer", sim_printer.url]) == 1
    assert "cannot print" in capsys.readouterr().err
    assert sim_printer.jobs == []


def test_print_preview_of_a_missing_file_is_one_line(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    missing = tmp_path / "nope.bin"
    assert main(["print-preview", str(missing), "--png", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nope.bin" in err and "cannot be read" in err


def test_print_preview_survives_garbage(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    jobfile = tmp_path / "garbage.bin"
    jobfile.write_bytes(bytes(range(256)) * 8 + b"\x1d\x76\x30\x00\xff\xff\xff\xff")
    assert main(["print-preview", str(jobfile), "--png", str(tmp_path / "g.png")]) == 0
    assert (tmp_path / "g.png").exists()


def test_the_screen_commands_need_no_pytest(tmp_path: Path) -> None:
    # A plain `pip install .` has no test extras: make pytest unimportable, as there.
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\n"
        "class NoPytest:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('pytest', '_pytest'):\n"
        "            raise ImportError(f'{name} is not installed')\n"
        "sys.meta_path.insert(0, NoPytest())\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", "import kiosk.ui.env; kiosk.ui.env.prepare(fullscreen=False, "
         "headless=True); import kiosk.commands.ui, kiosk.ui.screenshots; "
         "import sys; print('pytest' in sys.modules)"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"
