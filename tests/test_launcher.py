"""`kiosk launch` with real children: app bundles carrying a wheel of a stand-in `kiosk`
package, which the launcher's PYTHONPATH puts in front of the real one. Nothing is mocked:
the launcher, pip, the trial state, signals and exit codes are the real ones."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.bundles import Installer
from tests.bundle_kit import app_files, build, new_key

KEY = new_key()
WAIT = 60.0  # generous bound for a condition, not a timing assertion


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


class Kiosk:
    """The updates folder, the launcher's process and what the stand-in kiosks logged."""

    def __init__(self, tmp: Path, trial_seconds: float = 60, trial_starts: int = 2) -> None:
        self.tmp = tmp
        self.cfg = tmp / "kiosk.toml"
        self.cfg.write_text(f'[updates]\ntrusted_keys = ["{KEY.public}"]\n'
                            f'trial_seconds = {trial_seconds}\ntrial_starts = {trial_starts}\n')
        self.data = tmp / "data"
        self.installer = Installer(self.data / "updates", [KEY.public],
                                   trial_seconds=trial_seconds, trial_starts=trial_starts)
        self.log = tmp / "fake-kiosk.log"
        self.log.touch()
        self.launcher: subprocess.Popen[str] | None = None

    def install(self, version: str, behaviour: str, healthy: bool = False) -> None:
        self.installer.apply(build(self.tmp, KEY, "app", version,
                                   app_files(self.tmp, version, behaviour)))
        if healthy:  # a version that has proven itself before
            self.installer.update_trial(lambda s: s.update(healthy=True))

    def launch(self, **env: str) -> None:
        self.launcher = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "launch", "--config", str(self.cfg), "--data-dir",
             str(self.data), "--", "--windowed"],
            env={**os.environ, "FAKE_KIOSK_LOG": str(self.log), **env},
            stderr=subprocess.PIPE, text=True)

    def events(self) -> list[str]:
        """"<version> <event>" per line the stand-in kiosks wrote."""
        return [" ".join(line.split()[0:3:2]) for line in self.log.read_text().splitlines()]

    def pids(self, event: str) -> list[int]:
        return [int(line.split()[1]) for line in self.log.read_text().splitlines()
                if line.split()[2] == event]

    def stop(self) -> str:
        assert self.launcher is not None
        self.launcher.send_signal(signal.SIGTERM)
        _, err = self.launcher.communicate(timeout=WAIT)
        assert self.launcher.returncode == 0, err
        assert "Traceback" not in err
        return err


def test_a_new_version_that_never_reports_healthy_is_rolled_back(tmp_path: Path) -> None:
    k = Kiosk(tmp_path, trial_seconds=1, trial_starts=2)
    k.install("1.0.0", "healthy", healthy=True)
    k.install("2.0.0", "hang")
    k.launch()
    try:
        wait_for(lambda: "1.0.0 healthy" in k.events(), "the rollback to 1.0.0")
    finally:
        err = k.stop()
    # Each start of 2.0.0 was stopped when its trial time was up, then 1.0.0 started. (On a
    # loaded machine a start can be stopped before the stand-in wrote "started".)
    events = k.events()
    before = events[:events.index("1.0.0 started")]
    assert before and set(before) <= {"2.0.0 started", "2.0.0 stopped"}, events
    assert before.count("2.0.0 started") <= 2, events
    assert k.installer.current_version("app") == "1.0.0"
    [rollback] = [e for e in k.installer.history("app") if e["action"] == "rollback"]
    assert rollback["replaced"] == "2.0.0" and rollback["version"] == "1.0.0"
    assert "not healthy in 2 starts: not healthy within 1 s" in rollback["reason"]
    assert "rolled back to app 1.0.0" in err
    assert k.events()[-1] == "1.0.0 stopped"  # SIGTERM reached the kiosk


def test_a_new_version_that_crashes_at_start_is_rolled_back(tmp_path: Path) -> None:
    k = Kiosk(tmp_path, trial_starts=3)
    k.install("1.0.0", "healthy", healthy=True)
    k.install("1.1.0", "crash")
    k.launch()
    try:
        wait_for(lambda: "1.0.0 healthy" in k.events(), "the rollback to 1.0.0")
    finally:
        k.stop()
    assert k.events()[:3] == ["1.1.0 started"] * 3
    [rollback] = [e for e in k.installer.history("app") if e["action"] == "rollback"]
    assert rollback["reason"].endswith("exit code 3; exit code 3; exit code 3")


def test_restart_asked_or_crash_after_healthy_starts_the_kiosk_again_at_once(
        tmp_path: Path) -> None:
    k = Kiosk(tmp_path)
    k.install("1.0.0", "healthy")  # on trial
    k.launch(FAKE_KIOSK_EXIT_ONCE=str(tmp_path / "exited-once"))
    try:
        # Healthy (the trial passes), exits with 75, is started again and is healthy.
        wait_for(lambda: k.events().count("1.0.0 healthy") == 2, "the restart after 75")
        assert k.events() == ["1.0.0 started", "1.0.0 healthy", "1.0.0 exit-75",
                              "1.0.0 started", "1.0.0 healthy"]
        assert k.installer.trial() is None  # passed
        assert k.installer.history("app")[-1]["action"] == "trial-passed"
        assert Path(k.installer.kind_dir("app") / "health").is_file()
        # A crash (SIGKILL) after healthy: started again, without waiting.
        os.kill(k.pids("healthy")[-1], signal.SIGKILL)
        wait_for(lambda: k.events().count("1.0.0 healthy") == 3, "the restart after a crash")
    finally:
        err = k.stop()
    assert k.events()[-1] == "1.0.0 stopped"
    assert "asked to be started again (exit code 75)" in err
    assert "stopped after being healthy (killed by SIGKILL)" in err
    # The arguments reached `kiosk run`.
    first = k.log.read_text().splitlines()[0]
    assert first.endswith(f"run --config {k.cfg} --data-dir {k.data} --windowed")


def test_starts_cut_by_power_failures_count_against_the_trial(tmp_path: Path) -> None:
    k = Kiosk(tmp_path, trial_starts=2)
    k.install("1.0.0", "healthy", healthy=True)
    k.install("2.0.0", "healthy")
    # Two starts were made and the power went each time before any outcome was recorded.
    k.installer.update_trial(lambda s: s.update(starts=2))
    k.launch()
    try:
        wait_for(lambda: "1.0.0 healthy" in k.events(), "1.0.0")
    finally:
        k.stop()
    assert k.events()[0] == "1.0.0 started"  # 2.0.0 was not started a third time
    [rollback] = [e for e in k.installer.history("app") if e["action"] == "rollback"]
    assert "no outcome recorded" in rollback["reason"]
