"""Runs the UI tests and the screenshot command in their own processes: Kivy allows one
window per process, and the other tests must not import Kivy's window."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PIL import Image, ImageStat

from kiosk.paths import ROOT


def test_ui_suite_passes_in_a_real_window() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/ui", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert " passed" in proc.stdout


def test_screenshots_command_renders_every_screen(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "kiosk", "screenshots", "--out", str(tmp_path), "--lang", "kpm"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    names = sorted(p.name for p in tmp_path.glob("*.png"))
    expected = sorted(f"{s}-kpm.png" for s in (
        "attract", "language", "home", "unavailable", "services", "ticket",
        "ticket-not-printed", "idle"))
    assert names == expected
    for name in names:
        with Image.open(tmp_path / name) as img:
            assert img.size == (1080, 1920)
            # A black or blank frame has (almost) no spread of brightness.
            assert ImageStat.Stat(img.convert("L")).stddev[0] > 10, name
