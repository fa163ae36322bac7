"""The nightly restart waits for a kiosk nobody is using (kiosk/ui/lifecycle.py). The stop
itself, signals and exit codes are tested on real processes in tests/test_lifecycle.py."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from test_journey import shown, tap_through_to_services

from kiosk.lifecycle import NightlyRestart


def test_the_nightly_restart_waits_until_nobody_is_at_the_kiosk(k) -> None:
    lifecycle = k.app.lifecycle
    tz = ZoneInfo(k.app.kiosk_config.timezone)
    now = datetime.now(tz)
    # Started yesterday; the quiet hour passed a minute ago.
    lifecycle.nightly = NightlyRestart(f"{now - timedelta(minutes=1):%H:%M}", tz,
                                       started=now - timedelta(days=1))
    try:
        assert shown(k) == "attract" and lifecycle.idle()
        assert lifecycle.restart_due(now)
        tap_through_to_services(k, "English")  # a citizen came meanwhile
        assert not lifecycle.idle() and not lifecycle.restart_due(now)
        k.session.end()  # the visit is over: the restart may come now
        k.harness.next_frame()
        assert lifecycle.restart_due(now)
        # Not when the kiosk started after the quiet hour (it restarted already).
        lifecycle.nightly = NightlyRestart(f"{now - timedelta(minutes=1):%H:%M}", tz,
                                           started=now)
        assert not lifecycle.restart_due(now)
    finally:
        lifecycle.nightly = None
