"""Runs the UI tests and the screenshot command in their own processes: Kivy allows one
window per process, and the other tests must not import Kivy's window.

The UI tests run once per suite run, in one subprocess writing a JUnit XML report; each UI
test (read from tests/ui/test_*.py, so new ones need no list kept here) is then reported
by its own test below, with its own failure message. The layout checks run in processes
of their own, one per screen size (LAYOUT_SIZES); the other UI tests in a window of half
the kiosk's pixels (UI_SIZE)."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from kiosk.paths import ROOT
from kiosk.session import Screen

UI_DIR = ROOT / "tests" / "ui"
UI_TIMEOUT = 1200  # seconds for the whole UI run (see KivyRuns)

# The UI tests drive touches and read what the screens show: they run on the portrait
# kiosk at half its pixels, the same layout in dp (kiosk/ui/env.py density_for gives 0.5
# pixel per dp), so software GL draws a quarter of the pixels in every frame. The layout
# checks, which measure what fits, run at the real sizes: the kiosk, a landscape screen and
# a tablet.
UI_SIZE = "540x960"
KIOSK_SIZE = "1080x1920"
LAYOUT_SIZES = (KIOSK_SIZE, "1920x1080", "1280x800")
LAYOUT_CHECKS = ["test_journey.py::test_touch_targets_are_big_reachable_and_no_label_is_clipped",
                 "test_staff_mode.py::test_staff_screens_have_big_buttons_and_no_clipped_label"]
LAYOUT_TESTS = ["tests/ui/test_journey.py::test_the_window_has_the_size_this_run_is_for",
                *[f"tests/ui/{check}" for check in LAYOUT_CHECKS]]
# How long a test waits for the Kivy runs before it: all of them, each bounded.
WAIT_BOUND = (2 + len(LAYOUT_SIZES)) * UI_TIMEOUT + 600


def find_ui_tests() -> list[str]:
    """'<file>::<test>' (or '<file>::<Class>::<test>') for every test function pytest collects
    in tests/ui; a parametrized test is one entry covering all its cases."""
    found: list[str] = []
    for path in sorted(UI_DIR.glob("test_*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                if node.name.startswith("test"):
                    found.append(f"{path.name}::{node.name}")
            elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
                found += [f"{path.name}::{node.name}::{item.name}" for item in node.body
                          if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                          and item.name.startswith("test")]
    return found


UI_TESTS = find_ui_tests()


@dataclass
class UiCase:
    name: str  # as pytest names it, with [parameters] if any
    outcome: str  # passed, failed, error or skipped
    text: str  # the failure message and traceback, or the reason it was skipped


@dataclass
class UiRun:
    returncode: int | None  # None: killed after UI_TIMEOUT
    stdout: str
    stderr: str
    cases: dict[str, list[UiCase]] = field(default_factory=dict)  # by UI_TESTS entry
    unmatched: list[UiCase] = field(default_factory=list)  # e.g. a file that failed to import

    def tail(self) -> str:
        ended = (f"killed after {UI_TIMEOUT} s" if self.returncode is None
                 else f"exit code {self.returncode}")
        return (f"UI run: {ended}\n--- stdout (tail) ---\n{self.stdout[-4000:]}"
                f"\n--- stderr (tail) ---\n{self.stderr[-3000:]}")


def read_junit(path: Path, run: UiRun) -> None:
    for case in ET.parse(path).getroot().iter("testcase"):
        outcome, text = "passed", ""
        for tag in ("failure", "error", "skipped"):
            found = case.find(tag)
            if found is not None:
                outcome = "failed" if tag == "failure" else tag
                text = "\n".join(filter(None, [found.get("message", ""), found.text or ""]))
                break
        if outcome in ("failed", "error"):
            text += "".join(_captured(case.find(tag)) for tag in ("system-out", "system-err"))
        name = case.get("name", "")
        # classname is tests.ui.<module>[.<Class>]
        module, _, cls = case.get("classname", "").removeprefix("tests.ui.").partition(".")
        key = "::".join(filter(None, [f"{module}.py", cls, name.split("[")[0]]))
        ui_case = UiCase(name, outcome, text)
        if key in UI_TESTS:
            run.cases.setdefault(key, []).append(ui_case)
        else:
            run.unmatched.append(ui_case)


def _captured(element: ET.Element | None) -> str:
    """The non-empty '--- Captured Out ---' (log, err) sections pytest wrote for a case."""
    parts = re.split(r"^-+ (Captured \w+) -+$", (element.text or "") if element is not None
                     else "", flags=re.MULTILINE)
    return "".join(f"\n--- {title} ---\n{body.strip()[-3000:]}"
                   for title, body in zip(parts[1::2], parts[2::2], strict=True) if body.strip())


class KivyRuns:
    """The processes that open a Kivy window (the UI tests, the layout at other sizes, the
    screenshots). They start as soon as the tests are collected (tests/conftest.py), one
    at a time on a thread of their own, beside the other tests; once a test waits for
    them (the other tests are done by then), a second thread takes the next ones, one per
    core. Each test below waits for its own result.

    Beside the other tests, a simulated printer in the UI process was once starved past
    its 1 s status timeout on two cores, so the thread that runs the other tests lowers
    its own priority (see lower_priority_of_this_thread): the Kivy processes, started
    from threads that keep the normal priority, come first."""

    def __init__(self, ui_targets: list[str]) -> None:
        self.ui = Future[UiRun]()
        self.sizes = {size: Future[UiRun]() for size in LAYOUT_SIZES}
        self.shots_dir = Path(tempfile.mkdtemp(prefix="kiosk-shots-"))
        self.shots = Future[subprocess.CompletedProcess]()
        self._jobs: list[tuple[Future, Callable[[], object]]] = [
            (self.ui, lambda: run_ui_tests(ui_targets, UI_SIZE)),
            *[(future, lambda size=size: run_layout_at(size))
              for size, future in self.sizes.items()],
            (self.shots, lambda: run_screenshots(self.shots_dir)),
        ]
        self._lock = threading.Lock()
        self._wide = threading.Event()
        # Both threads are made now, by a thread of normal priority, which they inherit.
        threading.Thread(target=self._work, name="kivy-runs", daemon=True).start()
        threading.Thread(target=self._work, args=(self._wide,), name="kivy-runs-2",
                         daemon=True).start()

    def _work(self, go: threading.Event | None = None) -> None:
        if go is not None:
            go.wait()
        while True:
            with self._lock:
                if not self._jobs:
                    return
                future, job = self._jobs.pop(0)
            _settle(future, job)

    def waiting(self) -> None:
        """A test waits for a result: the other tests are done, so use the second core."""
        self._wide.set()


def lower_priority_of_this_thread(step: int = 10) -> None:
    """On Linux a nice value belongs to a thread, and processes it starts inherit it:
    lowering the calling thread's leaves the Kivy runs' thread (and its processes) at
    the normal priority."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(),
                       os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) + step)
    except OSError:  # not Linux, or not allowed: only the order of work changes
        pass


def _settle(future: Future, work: Callable[[], object]) -> None:
    try:
        future.set_result(work())
    except BaseException as exc:  # handed to the test that waits for it
        future.set_exception(exc)


_KIVY_RUNS: KivyRuns | None = None


def start_kivy_runs(items: list[pytest.Item]) -> KivyRuns:
    """Starts the Kivy runs once, for the UI tests among `items` (all of them when none or
    every one is selected)."""
    global _KIVY_RUNS
    if _KIVY_RUNS is None:
        selected = [item.callspec.params["ui_test"] for item in items
                    if hasattr(item, "callspec") and "ui_test" in item.callspec.params]
        if selected and set(selected) != set(UI_TESTS):
            targets = [f"tests/ui/{ui_test}" for ui_test in selected
                       if ui_test not in LAYOUT_CHECKS]
        else:
            targets = ["tests/ui", *[f"--deselect=tests/ui/{check}" for check in LAYOUT_CHECKS]]
        _KIVY_RUNS = KivyRuns(targets)
    return _KIVY_RUNS


def run_ui_tests(targets: list[str], size: str) -> UiRun:
    """The UI tests `targets` in a window of `size`; none: nothing to run (a passed run)."""
    if not targets:
        return UiRun(0, "", "")
    xml = Path(tempfile.mkdtemp(prefix="kiosk-ui-run-")) / "junit.xml"
    command = [sys.executable, "-m", "pytest", *targets, "-q", "-p", "no:cacheprovider",
               f"--junitxml={xml}", "-o", "junit_logging=all"]
    try:
        proc = subprocess.run(command, cwd=ROOT, env=dict(os.environ, KIOSK_UI_SIZE=size),
                              capture_output=True, text=True, timeout=UI_TIMEOUT)
        run = UiRun(proc.returncode, proc.stdout, proc.stderr)
    except subprocess.TimeoutExpired as timeout:
        run = UiRun(None, _text(timeout.stdout), _text(timeout.stderr))
    if xml.exists():
        read_junit(xml, run)
    return run


@pytest.fixture(scope="session")
def kivy_runs(request: pytest.FixtureRequest) -> KivyRuns:
    runs = start_kivy_runs(request.session.items)
    runs.waiting()
    return runs


@pytest.fixture(scope="session")
def ui_run(kivy_runs: KivyRuns) -> UiRun:
    """One run of the UI tests for the whole session: those selected here, or all of them
    but the layout checks."""
    return kivy_runs.ui.result(timeout=WAIT_BOUND)


def _text(output: bytes | str | None) -> str:
    return output.decode(errors="replace") if isinstance(output, bytes) else output or ""


@pytest.mark.parametrize("ui_test", UI_TESTS)
def test_ui(ui_test: str, kivy_runs: KivyRuns) -> None:
    """A UI test as it ran; a layout check as it ran on the kiosk's own screen (the other
    sizes: test_every_screen_fits_on_a_screen_of)."""
    ui_run = (kivy_runs.sizes[KIOSK_SIZE] if ui_test in LAYOUT_CHECKS
              else kivy_runs.ui).result(timeout=WAIT_BOUND)
    cases = ui_run.cases.get(ui_test)
    if not cases:
        problems = "".join(f"\n{c.name}: {c.text}" for c in ui_run.unmatched)
        pytest.fail(f"{ui_test} did not run{problems}\n{ui_run.tail()}", pytrace=False)
    failed = [c for c in cases if c.outcome in ("failed", "error")]
    if failed:
        pytest.fail("\n\n".join(f"{c.name} {c.outcome}:\n{c.text}" for c in failed),
                    pytrace=False)
    if all(c.outcome == "skipped" for c in cases):
        pytest.skip("; ".join(f"{c.name}: {c.text}" for c in cases))


def test_the_ui_run_is_reported_in_full(ui_run: UiRun) -> None:
    """Every UI test that ran has its own report above, and the UI process ended normally
    (a crash after the last test would otherwise go unseen)."""
    assert UI_TESTS, "no UI tests found in tests/ui"
    assert not ui_run.unmatched, [c.name for c in ui_run.unmatched]
    any_failed = any(c.outcome in ("failed", "error")
                     for cases in ui_run.cases.values() for c in cases)
    assert ui_run.returncode == (1 if any_failed else 0), ui_run.tail()


def run_screenshots(out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", "screenshots", "--out", str(out), "--lang", "kpm"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )


def test_screenshots_command_renders_every_screen(kivy_runs: KivyRuns,
                                                 request: pytest.FixtureRequest) -> None:
    proc = kivy_runs.shots.result(timeout=WAIT_BOUND)
    tmp_path = kivy_runs.shots_dir
    request.addfinalizer(lambda: shutil.rmtree(tmp_path, ignore_errors=True))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    names = sorted(p.name for p in tmp_path.glob("*.png"))
    steps = {name.removesuffix("-kpm.png").removesuffix("-hc") for name in names}
    # Every screen of the one list (kiosk.session.Screen) has its picture, at least ...
    assert {screen.value.replace("_", "-") for screen in Screen} <= steps
    # ... in both palettes; a visit always starts on the normal attract screen.
    expected = sorted([f"{s}-kpm.png" for s in steps]
                      + [f"{s}-hc-kpm.png" for s in steps - {"attract"}])
    assert names == expected
    for name in names:
        with Image.open(tmp_path / name) as img:
            assert img.size == (1080, 1920)
            # A black or blank frame has (almost) no spread of brightness.
            assert ImageStat.Stat(img.convert("L")).stddev[0] > 10, name


def run_layout_at(size: str) -> UiRun:
    return run_ui_tests(LAYOUT_TESTS, size)


@pytest.mark.parametrize("size", LAYOUT_SIZES)
def test_every_screen_fits_on_a_screen_of(size: str, kivy_runs: KivyRuns) -> None:
    """The layout check (touch targets, reach, no clipped label) in a window of `size`:
    one Kivy window per process, so one process per size."""
    run = kivy_runs.sizes[size].result(timeout=WAIT_BOUND)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert f"{len(LAYOUT_TESTS)} passed" in run.stdout, run.stdout[-2000:]


def start_until_first_frame(args: list[str]) -> str:
    """Starts a kiosk command, waits for its first drawn frame, stops it; returns stderr."""
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
    # The window fits the display it opens on (here SDL's, whatever its size).
    display = subprocess.run([sys.executable, "-c", "from kiosk.ui.env import display_size; "
                              "print(*display_size())"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.split()
    window = re.search(r"window (\d+)x(\d+), ", err)
    assert window, err
    assert int(window[1]) <= int(display[0]) and int(window[2]) <= int(display[1]), (window[0],
                                                                                    display)
    assert "Traceback" not in err
    assert (tmp_path / "kiosk.sqlite3").exists()


def test_run_uses_the_devices_of_the_config(tmp_path: Path, sim_printer) -> None:
    config = tmp_path / "centre.toml"
    config.write_text(f'[devices]\nprinter = "{sim_printer.url}"\n[kiosk]\nfullscreen = false\n'
                      f'data_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    err = start_until_first_frame(["run", "--config", str(config)])
    assert "Traceback" not in err
    assert (tmp_path / "data" / "kiosk.sqlite3").exists()
