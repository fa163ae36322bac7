"""The kiosk's life under systemd or the launcher: when it says it is ready, the watchdog
pings, a clean stop on SIGTERM/SIGINT, the nightly restart and the staff restart.

The pings come from the Kivy clock on purpose: a main loop that freezes stops pinging, and
systemd's watchdog kills and restarts the kiosk. A stop (a signal, the quiet hour, staff)
is also done on the Kivy clock: no new number is taken, a ticket being issued is finished
(recorded and printed, at most STOP_BOUND seconds), then the app stops with its exit code.
The messages themselves are kiosk/lifecycle.py.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from kivy.clock import Clock
from kivy.core.window import Window

from kiosk.lifecycle import (
    RESTART_EXIT_CODE,
    NightlyRestart,
    notify_status,
    notify_stopping,
    notify_watchdog,
    report_healthy,
    watchdog_interval,
    write_pid_file,
)
from kiosk.session import Screen

if TYPE_CHECKING:
    from kiosk.ui.app import KioskApp

log = logging.getLogger(__name__)

READY_CHECK_SECONDS = 0.1  # how often, until ready, the three conditions are looked at
NIGHTLY_CHECK_SECONDS = 30
IDLE_CHECK_SECONDS = 1.0  # a restart asked for (SIGHUP) waits for the visit to end
STOP_POLL_SECONDS = 0.05
# The longest a stop waits for a ticket being issued (a slow serial printer takes ~10 s),
# within the 20 s `kiosk launch` gives the kiosk after forwarding SIGTERM;
# the unit's TimeoutStopSec (assets/systemd/lobby-kiosk.service) is longer.
STOP_BOUND = 15.0
# Test-only hooks (tests/test_lifecycle.py), read once the kiosk is ready.
FREEZE_ENV = "KIOSK_TEST_FREEZE_AFTER"  # seconds, then the Kivy clock is blocked for good
TAKE_NUMBER_ENV = "KIOSK_TEST_TAKE_NUMBER"  # a service letter: a visit takes a number


class Lifecycle:
    def __init__(self, app: KioskApp) -> None:
        self.app = app
        self.exit_code = 0
        self.ready = False
        self.stopping = False
        self._frame_drawn = False
        self._said_not_ready = False
        self._stop_deadline = 0.0
        cfg = app.kiosk_config
        self.nightly = (NightlyRestart(cfg.nightly_restart, ZoneInfo(cfg.timezone))
                        if cfg.nightly_restart else None)

    def start(self) -> None:
        """From App.on_start: the window exists, its first frame is next."""
        Window.bind(on_flip=self._on_first_frame)
        Clock.schedule_interval(self._check_ready, READY_CHECK_SECONDS)
        interval = watchdog_interval()
        if interval:
            notify_watchdog()
            Clock.schedule_interval(lambda _dt: notify_watchdog(), interval)
        if self.nightly is not None:
            Clock.schedule_interval(self._check_nightly, NIGHTLY_CHECK_SECONDS)
        pid_file = write_pid_file()
        if pid_file is not None:
            # Gone with this process: ExecStop must never signal a pid used again since.
            self.app.bind(on_stop=lambda *_a: pid_file.unlink(missing_ok=True))

    def install_signal_handlers(self) -> None:
        """SIGTERM (systemctl stop) and SIGINT (Ctrl+C) stop the kiosk in every mode. SDL
        would turn them into a window close, which a fullscreen kiosk refuses
        (KioskApp._on_request_close; kiosk/ui/env.py asks SDL to leave signals alone), so
        these handle them; the stop itself is scheduled on the Kivy clock, never done
        inside the handler. Called by kiosk/ui/launch.py, not in the UI tests' process."""

        def on_signal(signum: int, _frame: object) -> None:
            log.info("%s received: stopping", signal.Signals(signum).name)
            Clock.schedule_once(lambda _dt: self.request_stop(0))

        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, on_signal)
        # SIGHUP (`systemctl reload`): start again, to read a changed config, once idle.
        signal.signal(signal.SIGHUP,
                      lambda *_a: Clock.schedule_once(lambda _dt: self.restart_when_idle()))

    # -- ready ------------------------------------------------------------------------
    def _on_first_frame(self, *_args) -> None:
        Window.unbind(on_flip=self._on_first_frame)
        self._frame_drawn = True

    def usable(self) -> bool:
        """The first frame is drawn, the database answers and the printer was checked once
        (whatever it said: a printer out of paper still lets the kiosk show numbers)."""
        if not self._frame_drawn or self.app.tickets is None:
            return False  # the services start after the first frame
        from sqlalchemy import text

        from kiosk.devices import NOT_CHECKED

        if self.app.tickets.printers.status is NOT_CHECKED:
            return False
        try:
            with self.app.tickets.store.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001
            if not self._said_not_ready:  # once, not ten times a second
                log.warning("not ready: the database does not answer: %s", exc)
                self._said_not_ready = True
            return False
        return True

    def _check_ready(self, *_args) -> bool:
        if not self.usable():
            return True
        self.ready = True
        log.info("ready: window %dx%d", *Window.size)
        report_healthy()
        self._test_hooks()
        return False

    # -- stopping ---------------------------------------------------------------------
    def request_restart(self) -> None:
        """Staff's "Restart": stop cleanly, then the launcher or systemd starts us again."""
        log.info("restart asked for")
        self.request_stop(RESTART_EXIT_CODE)

    def restart_when_idle(self) -> None:
        """request_restart() at the first moment nobody is at the kiosk (now, if so)."""
        log.info("restart asked for once the kiosk is idle")

        def when_idle(*_args) -> bool:
            if self.stopping:
                return False
            if not self.idle():
                return True
            self.request_restart()
            return False

        if when_idle():
            Clock.schedule_interval(when_idle, IDLE_CHECK_SECONDS)

    def request_stop(self, exit_code: int = 0) -> None:
        """Stops the kiosk with `exit_code`, once a ticket being issued is finished."""
        if self.stopping:
            return
        self.stopping = True
        self.exit_code = exit_code
        issuing = self.app.ticket_issuing
        issuing.closing = True
        notify_stopping("stopping: finishing the ticket being issued" if issuing.in_progress
                        else "stopping")
        self._stop_deadline = Clock.get_time() + STOP_BOUND
        Clock.schedule_interval(self._stop_when_done, STOP_POLL_SECONDS)

    def _stop_when_done(self, *_args) -> bool:
        if self.app.ticket_issuing.in_progress:
            if Clock.get_time() < self._stop_deadline:
                return True
            log.error("stopping without the ticket being issued: it took over %.0f s",
                      STOP_BOUND)
        self.app.stop()
        return False

    # -- the nightly restart ----------------------------------------------------------
    def idle(self) -> bool:
        """Nobody at the kiosk: the attract screen, no staff screen over it, no number on
        its way."""
        app = self.app
        return (app.session.screen is Screen.ATTRACT and app.manager.current == "attract"
                and not app.ticket_issuing.in_progress)

    def restart_due(self, now: datetime) -> bool:
        """The quiet hour has passed since this process started, and nobody is here."""
        return (self.nightly is not None and not self.stopping and self.nightly.due(now)
                and self.idle())

    def _check_nightly(self, *_args) -> None:
        if self.nightly is not None and self.restart_due(datetime.now(self.nightly.tz)):
            log.info("nightly restart (quiet hour %02d:%02d)", self.nightly.hour,
                     self.nightly.minute)
            self.request_stop(RESTART_EXIT_CODE)

    # -- test-only hooks --------------------------------------------------------------
    def _test_hooks(self) -> None:
        letter = os.environ.get(TAKE_NUMBER_ENV, "")
        if letter:
            app = self.app
            app.start_visit()
            app.choose_language("vi")
            app.skip_identify()
            app.open_feature("take_number")
            app.take_number(letter)
            notify_status(f"test: taking a number for {letter}")
        freeze = os.environ.get(FREEZE_ENV, "")
        if freeze:
            Clock.schedule_once(self._freeze, float(freeze))

    @staticmethod
    def _freeze(*_args) -> None:
        """Blocks the Kivy clock for good, as a hung callback would: no frame, no ping."""
        notify_status("test: main loop frozen")
        threading.Event().wait()
