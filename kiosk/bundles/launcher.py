"""`kiosk launch`: a small supervisor that runs the installed app version and tries new ones.

It starts `python -m kiosk run …` with `<app current>/lib` first on PYTHONPATH (the base
install when no app bundle is current) and KIOSK_HEALTH_FILE set; the kiosk creates that
file once healthy (first frame drawn, database opened, printer checked). A version on trial
(just applied, kiosk/bundles/installer.py) that exits or is not healthy within
trial_seconds counts a failed start in state.json; after trial_starts of them the launcher
rolls back to the previous version by itself and records why in history.jsonl. A start is
counted before it is made, so power cuts during a trial count too (a boot counter, as RAUC
and Mender keep one).

Exit code 75 (RESTART_EXIT_CODE) means "start me again now"; any other exit after healthy
is a crash and the kiosk is started again at once too. SIGTERM/SIGINT to the launcher go to
the kiosk, and the launcher exits 0 once it has stopped.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from kiosk.bundles.installer import Installer

if TYPE_CHECKING:
    from kiosk.config import Config

RESTART_EXIT_CODE = 75
HEALTH_ENV = "KIOSK_HEALTH_FILE"
STOP_GRACE = 20.0  # seconds a stopping kiosk gets to finish a ticket before SIGKILL
KILL_GRACE = 5.0  # a kiosk that failed its trial is stopped, then killed after this
POLL = 0.1  # how often the health file is looked for while the kiosk runs
MAX_BACKOFF = 30.0  # a version that is not on trial and fails before healthy: waits grow

log = logging.getLogger("kiosk.launcher")


class Launcher:
    def __init__(self, installer: Installer, run_args: list[str],
                 python: str = sys.executable) -> None:
        self.installer = installer
        self.run_args = run_args
        self.python = python
        self.health_file = installer.kind_dir("app") / "health"
        self.child: subprocess.Popen[bytes] | None = None
        self._stop = threading.Event()
        self._signal: int | None = None

    @classmethod
    def from_config(cls, cfg: Config, run_args: list[str]) -> Launcher:
        return cls(Installer.from_config(cfg), run_args)

    # -- signals ------------------------------------------------------------------------

    def _on_signal(self, signum: int, _frame: Any) -> None:
        self._signal = signum
        self._stop.set()
        child = self.child
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    def run(self) -> int:
        """Supervise until SIGTERM or SIGINT; returns the exit code (0)."""
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        self.health_file.parent.mkdir(parents=True, exist_ok=True)
        failures_in_a_row = 0
        while not self._stop.is_set():
            trial = self.installer.trial()
            if trial is not None and trial.get("starts", 0) >= self.installer.trial_starts:
                self._roll_back(trial)
                continue
            if trial is not None:
                trial = self.installer.update_trial(
                    lambda s: s.update(starts=s.get("starts", 0) + 1))
            healthy, code, why = self._run_once(trial)
            if self._stop.is_set():
                break
            if healthy:
                failures_in_a_row = 0
                if code == RESTART_EXIT_CODE:
                    log.info("kiosk asked to be started again (exit code %d)", code)
                else:
                    log.warning("kiosk stopped after being healthy (%s); starting it again", why)
                continue
            if trial is not None:
                state = self.installer.update_trial(
                    lambda s, why=why: s.setdefault("failures", []).append(why))
                log.warning("app %s on trial: failed start %d of %d (%s)", trial["version"],
                            len((state or trial).get("failures", [])),
                            self.installer.trial_starts, why)
                continue
            failures_in_a_row += 1
            wait = min(MAX_BACKOFF, 2.0 ** (failures_in_a_row - 1))
            log.error("kiosk failed before it was healthy (%s); starting it again in %g s",
                      why, wait)
            self._stop.wait(wait)
        log.info("launcher stopping on signal %s", self._signal)
        return 0

    def _roll_back(self, trial: dict[str, Any]) -> None:
        failures = trial.get("failures") or ["no outcome recorded (power cut?)"]
        reason = (f"app {trial['version']} not healthy in {trial.get('starts', 0)} starts: "
                  + "; ".join(failures[-3:]))
        try:
            now = self.installer.rollback("app", reason=reason)
        except Exception as exc:  # noqa: BLE001 - the kiosk must keep being started
            log.error("rollback of app %s failed (%s); starting it again", trial["version"], exc)
            self.installer.update_trial(lambda s: s.update(starts=0))
            return
        log.error("rolled back to app %s: %s", now, reason)

    # -- one run of the kiosk -------------------------------------------------------------

    def _command(self) -> tuple[list[str], dict[str, str], str]:
        env = {**os.environ, HEALTH_ENV: str(self.health_file)}
        current = self.installer.current_dir("app")
        version = f"app {current.name}" if current else \
            f"base install {self.installer.base_version}"
        if current is not None:
            lib = str(current / "lib")
            env["PYTHONPATH"] = os.pathsep.join(p for p in (lib, env.get("PYTHONPATH")) if p)
        # -P: the working folder must not shadow the installed kiosk package.
        return [self.python, "-P", "-m", "kiosk", "run", *self.run_args], env, version

    def _run_once(self, trial: dict[str, Any] | None) -> tuple[bool, int, str]:
        """Start the kiosk and wait for it to end: (was it healthy, exit code, why)."""
        self.health_file.unlink(missing_ok=True)
        command, env, version = self._command()
        deadline = time.monotonic() + self.installer.trial_seconds if trial else None
        log.info("starting %s%s", version, " (on trial)" if trial else "")
        self.child = subprocess.Popen(command, env=env)
        if self._stop.is_set():  # a signal between the loop's test and Popen
            self.child.send_signal(self._signal or signal.SIGTERM)
        healthy = False
        while True:
            try:
                code = self.child.wait(timeout=POLL)
                break
            except subprocess.TimeoutExpired:
                pass
            if not healthy:
                healthy = self._healthy_now(version, trial)
            if self._stop.is_set():
                self._wait_stopped(STOP_GRACE)
                code = self.child.returncode
                break
            if deadline is not None and not healthy and time.monotonic() > deadline:
                log.warning("%s not healthy within %g s; stopping it", version,
                            self.installer.trial_seconds)
                self.child.terminate()
                self._wait_stopped(KILL_GRACE)
                return False, self.child.returncode, \
                    f"not healthy within {self.installer.trial_seconds:g} s"
        # Healthy, then gone before the next look: healthy all the same.
        healthy = healthy or self._healthy_now(version, trial)
        return healthy, code, _exit_text(code)

    def _healthy_now(self, version: str, trial: dict[str, Any] | None) -> bool:
        if not self.health_file.exists():
            return False
        log.info("%s is healthy", version)
        if trial is not None:
            self.installer.update_trial(lambda s: s.update(healthy=True))
            self.installer.record("app", "trial-passed", version=trial["version"])
        return True

    def _wait_stopped(self, grace: float) -> None:
        assert self.child is not None
        try:
            self.child.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            log.error("kiosk did not stop within %g s; killing it", grace)
            self.child.kill()
            self.child.wait()


def _exit_text(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"
