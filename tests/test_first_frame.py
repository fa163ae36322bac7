"""What `kiosk run` loads before its first frame: a guard that cannot flake on a slow
machine, since it counts modules, not milliseconds (docs/architecture.md, "Start-up").

The kiosk, started as in the lobby on a printer that is not there, writes the names of the
modules loaded when its attract screen is first drawn (KIOSK_FIRST_FRAME_MODULES); every
one must be in the standard library, one of the few packages below, or this project's
list (tests/first_frame_modules.txt). Then its services must still start: the lifecycle's
"ready" needs the database to answer and the printer to have been checked."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from kiosk.paths import ROOT

BOUND = 120  # seconds for the kiosk to draw its first frame and be ready, loaded machine
OURS = ROOT / "tests" / "first_frame_modules.txt"
# Third-party packages the first frame may load: Kivy itself and what it loads (filetype),
# pyserial (printer URLs are checked before the window opens), the interpreter's own.
PACKAGES = {"kivy", "filetype", "serial", "cython_runtime", "_distutils_hack", "__main__"}
# In the standard library but telling of the store, the network or test code.
HEAVY_STDLIB = {"sqlite3", "email", "http", "xml", "multiprocessing", "unittest", "tkinter"}
# Why some packages must wait until after the first frame (a clearer failure message).
WHY = {
    "sqlalchemy": "the store: opened by kiosk/services.py after the first frame",
    "PIL": "Pillow: ticket layout and Kivy's PIL image provider (kiosk/ui/env.py KIVY_IMAGE)",
    "escpos": "python-escpos: drivers.printer loads it on first use of a job",
    "numpy": "audio: the speaker warms up after the first frame",
}


def allowed(module: str, ours: set[str]) -> bool:
    top = module.split(".")[0]
    if top in ("kiosk", "drivers"):
        return module in ours
    if top.startswith(("__editable__", "_cython_", "_sysconfigdata_")) or top in PACKAGES:
        return True
    return top in sys.stdlib_module_names and top not in HEAVY_STDLIB


def read_lines(stream, lines: list[str], first_frame: threading.Event,
               ready: threading.Event) -> None:  # type: ignore[no-untyped-def]
    for line in stream:
        lines.append(line)
        if line.startswith("first-frame "):
            first_frame.set()
        if "ready: window" in line:
            ready.set()


def test_the_first_frame_loads_only_the_modules_on_the_list(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text('[devices]\nprinter = "tcp://127.0.0.1:9"\n')  # nothing listens
    modules = tmp_path / "modules.txt"
    env = {**os.environ, "KIOSK_FIRST_FRAME_MODULES": str(modules), "KIVY_NO_ARGS": "1",
           "KIVY_HOME": str(tmp_path / "kivy"), "KIVY_NO_FILELOG": "1",
           "KIVY_LOG_MODE": "MIXED", "KIVY_USE_DEFAULTCONFIG": "1", "KIVY_WINDOW": "sdl2"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "run", "--windowed", "--config", str(config),
         "--data-dir", str(tmp_path / "data")],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, errors="replace")
    lines: list[str] = []
    first_frame, ready = threading.Event(), threading.Event()
    reader = threading.Thread(target=read_lines, args=(proc.stdout, lines, first_frame, ready),
                              daemon=True)
    reader.start()
    try:
        assert first_frame.wait(BOUND), "no first frame:\n" + "".join(lines[-40:])
        assert ready.wait(BOUND), "the services did not start:\n" + "".join(lines[-40:])
    finally:
        proc.kill()
        proc.wait()
    ours = {line for line in OURS.read_text().splitlines() if line and line[0] != "#"}
    loaded = modules.read_text().split()
    extra = sorted(m for m in loaded if not allowed(m, ours))
    reasons = sorted({f"{m.split('.')[0]}: {WHY[m.split('.')[0]]}" for m in extra
                      if m.split(".")[0] in WHY})
    assert not extra, ("loaded before the first frame, not on the list: " + ", ".join(extra)
                       + "".join(f"\n  {r}" for r in reasons))
    # The list holds no module the first frame no longer needs: it stays a true picture.
    unused = sorted(ours - set(loaded))
    assert not unused, f"on tests/first_frame_modules.txt but no longer loaded: {unused}"
