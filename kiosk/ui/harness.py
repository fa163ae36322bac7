"""Drives the real Kivy window frame by frame, as a person would: for screenshots and tests.

No App.run(): the harness builds the app into the window and turns the event loop itself,
so a script can tap a widget, wait for the frame that shows the result, and read pixels.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from kivy.base import EventLoop
from kivy.clock import Clock
from kivy.input.motionevent import MotionEvent
from kivy.uix.widget import Widget

from kiosk.ui.app import KioskApp
from kiosk.ui.journey import ManualClock

MAX_FRAMES = 3000
TOUCH_AGE_ALLOWANCE = 1.5  # seconds; see until_touches_count


class Finger(MotionEvent):
    """One finger on the window at (x, y) in window pixels, posted through Kivy's input
    dispatch as a touch screen's would be. (kivy.tests.common has the same thing, but it
    imports pytest, which a kiosk installed without the test extras does not have.)"""

    def __init__(self, x: float, y: float) -> None:
        super().__init__("Finger", 99, self._where(x, y), is_touch=True, type_id="touch")
        self.profile = ["pos"]

    @staticmethod
    def _where(x: float, y: float) -> dict[str, float]:
        window = EventLoop.window
        return {"x": x / (window.width - 1.0), "y": y / (window.height - 1.0)}

    def depack(self, args: dict[str, float]) -> None:  # type: ignore[override]
        self.sx, self.sy = args["x"], args["y"]
        super().depack(args)

    def touch_down(self) -> None:
        EventLoop.post_dispatch_input("begin", self)

    def touch_move(self, x: float, y: float) -> None:
        self.move(self._where(x, y))
        EventLoop.post_dispatch_input("update", self)

    def touch_up(self) -> None:
        EventLoop.post_dispatch_input("end", self)


def dispatch_input() -> None:
    """One turn of the loop for input just posted, without first sleeping out the rest of
    the frame's time (Kivy's maxfps pacing, up to 1/60 s: 40% of the UI run's time went
    to it): the turn dispatches what is queued, runs what is due on the clock and draws
    what changed, as a paced one does. Nothing waits on a touch's length. Waits for
    something to happen (wait_until, settle) stay paced: their bounds count turns, and
    the other side (a worker thread, a process) needs the time."""
    paced, Clock._max_fps = Clock._max_fps, 0
    try:
        EventLoop.idle()
    finally:
        Clock._max_fps = paced


def visible(widget: Widget) -> bool:
    """Drawn for a person to see: neither it nor a parent is hidden."""
    while widget is not None and widget is not widget.parent:
        if widget.opacity == 0:
            return False
        widget = widget.parent
    return True


class Harness:
    def __init__(self, app: KioskApp) -> None:
        EventLoop.ensure_window()
        self.window = EventLoop.window
        self.app = app
        app.root = app.build()
        self.window.add_widget(app.root)
        app.dispatch("on_start")
        self.flips = 0
        self._shot_path: Path | None = None
        self.window.bind(on_flip=self._on_flip)
        self.next_frame()

    def _on_flip(self, *_args) -> None:
        self.flips += 1
        if self._shot_path is not None:
            # Read pixels here, right after drawing: later the buffer may be blank.
            tmp = Path(tempfile.mkdtemp()) / "shot.png"
            written = self.window.screenshot(name=str(tmp))
            os.replace(written, self._shot_path)
            self._shot_path = None

    def next_frame(self) -> None:
        """Turn the loop until one more frame has been drawn."""
        start = self.flips
        self.window.canvas.ask_update()
        for _ in range(MAX_FRAMES):
            EventLoop.idle()
            if self.flips > start:
                return
        raise TimeoutError("no frame was drawn")

    def settle(self, frames: int = 3) -> None:
        """Let layouts, texture sizes and bindings that need a frame or two finish: turns
        the loop `frames` times. Each turn draws what changed, as the running kiosk does;
        a frame drawn again with nothing changed would show nothing new (software GL
        spends a tenth of a second or more on each frame of the portrait window)."""
        for _ in range(frames):
            EventLoop.idle()

    def wait_until(self, condition: Callable[[], bool], what: str,
                   max_frames: int = MAX_FRAMES) -> None:
        for _ in range(max_frames):
            if condition():
                return
            EventLoop.idle()
        raise TimeoutError(f"gave up waiting for {what} after {max_frames} loop turns")

    def until_touches_count(self) -> None:
        """A person touches a screen once it is drawn and seen: until then it takes no
        touch (kiosk/ui/touch_guard.py). A hand-moved clock is moved on to that time;
        with a real one the loop turns until it comes."""
        guard = self.app.touch_guard
        while guard.touches_from() is None:
            self.next_frame()
        # After that by more than the touch's own age (its time_start to its dispatch, in
        # wall-clock time, which the guard takes off): on a loaded machine the loop can
        # take most of a second to get to a touch.
        ready = guard.touches_from() + TOUCH_AGE_ALLOWANCE
        if isinstance(guard.clock, ManualClock):
            guard.clock.now = max(guard.clock.now, ready)
        else:
            self.wait_until(lambda: guard.clock() >= ready, "the screen to take touches")

    def tap(self, widget: Widget) -> None:
        """A finger down and up on the middle of `widget`, once the screen takes it."""
        self.until_touches_count()
        x, y = widget.to_window(*widget.center)
        touch = Finger(x, y)
        touch.touch_down()
        dispatch_input()
        touch.touch_up()
        dispatch_input()

    def screenshot(self, path: Path) -> Path:
        self.settle()
        self._shot_path = Path(path)
        self.next_frame()
        return Path(path)
