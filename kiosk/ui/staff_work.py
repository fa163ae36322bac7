"""Staff actions that take time (a test print, an export, an install) run on a worker
thread; what they find is handed to the Kivy clock before any widget is touched."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from kivy.clock import Clock
from kivy.factory import Factory
from kivy.uix.widget import Widget

log = logging.getLogger(__name__)

_running = 0  # staff actions under way (changed on the Kivy thread only)


def running() -> int:
    """How many staff actions are under way: staff mode does not leave by itself meanwhile
    (an install may take longer than the idle logout)."""
    return _running


def in_background(name: str, work: Callable[[], Any], done: Callable[[Any], None],
                  failed: Callable[[Exception], None],
                  keep_open: bool = False) -> threading.Thread:
    """Runs `work` on a thread; then `done(result)` or `failed(exception)` on the Kivy
    clock. The failure is logged by its type and message: staff actions handle no
    citizen's data, so neither can name any. `keep_open`: an action staff wait for (an
    install, an export): staff mode does not leave by itself until it ends."""
    global _running
    _running += keep_open

    def finish(then: Callable[[Any], None], value: Any) -> None:
        global _running
        _running -= keep_open
        then(value)

    def run() -> None:
        try:
            result = work()
        except Exception as exc:  # noqa: BLE001  (shown to staff in words, never a crash)
            log.warning("staff mode: %s failed: %s: %s", name, type(exc).__name__, exc)
            Clock.schedule_once(lambda _dt, error=exc: finish(failed, error))
            return
        Clock.schedule_once(lambda _dt: finish(done, result))

    thread = threading.Thread(target=run, name=f"staff-{name}", daemon=True)
    thread.start()
    return thread


class Progress:
    """A `progress(done, total, step)` callable for a worker thread: the latest figures
    reach `show` on the Kivy clock, once per frame at most however often it is called."""

    def __init__(self, show: Callable[[int, int, str], None]) -> None:
        self._show = show
        self._lock = threading.Lock()
        self._latest: tuple[int, int, str] | None = None

    def __call__(self, done: int, total: int, step: str) -> None:
        with self._lock:
            pending = self._latest is not None
            self._latest = (done, total, step)
        if not pending:
            Clock.schedule_once(self._deliver)

    def _deliver(self, _dt: float) -> None:
        with self._lock:
            latest, self._latest = self._latest, None
        if latest is not None:
            self._show(*latest)


def make(class_name: str, **values: Any) -> Widget:
    """A widget of a class declared in a .kv file (`<Name@Base>` with its own properties,
    which exist only once its rule applied, so they cannot go to the constructor)."""
    widget = getattr(Factory, class_name)()
    for name, value in values.items():
        setattr(widget, name, value)
    return widget
