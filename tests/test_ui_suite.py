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
    screens = ("language", "identify", "home-greeting", "home", "categories", "procedures",
               "procedure", "search", "unavailable", "rating", "rating-reasons", "services",
               "services-xl", "home-xl", "ticket", "ticket-status", "unknown-code",
               "ticket-not-printed", "idle")
    # Every screen in both palettes; a visit always starts on the normal attract screen.
    expected = sorted([f"{s}-kpm.png" for s in ("attract", *screens)]
                      + [f"{s}-hc-kpm.png" for s in screens])
    assert names == expected
    for name in names:
        with Image.open(tmp_path / name) as img:
            assert img.size == (1080, 1920)
            # A black or blank frame has (almost) no spread of brightness.
            assert ImageStat.Stat(img.convert("L")).stddev[0] > 10, name


def start_until_first_frame(args: list[str]) -> str:
    """Starts a kiosk command, waits for its first drawn frame, stops it; returns stderr."""
    import os

    env = dict(os.environ, KIOSK_BENCH_FIRST_FRAME="1")
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()  # type: ignore[union-attr]
        assert first.startswith("first-frame "), first + proc.stderr.read()  # type: ignore[union-attr]
        # Only the attract screen was needed for the first frame; the rest follow.
        assert first.split()[2] == "screens=1", first
        built = proc.stdout.readline()  # type: ignore[union-attr]
        assert built.startswith("screens-built "), built
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=60)
    return err


def test_simulate_starts_and_draws_the_attract_screen(tmp_path: Path) -> None:
    err = start_until_first_frame(["simulate", "--windowed", "--data-dir", str(tmp_path)])
    assert "simulated printer on tcp://127.0.0.1:" in err and "scanner on " in err
    assert "Traceback" not in err
    assert (tmp_path / "kiosk.sqlite3").exists()


def test_run_uses_the_devices_of_the_config(tmp_path: Path, sim_printer) -> None:
    config = tmp_path / "centre.toml"
    config.write_text(f'[devices]\nprinter = "{sim_printer.url}"\n[kiosk]\nfullscreen = false\n'
                      f'data_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    err = start_until_first_frame(["run", "--config", str(config)])
    assert "Traceback" not in err
    assert (tmp_path / "data" / "kiosk.sqlite3").exists()
