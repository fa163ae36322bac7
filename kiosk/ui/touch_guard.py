"""Touches that belong to the screen before: a double tap must not act on the next screen.

A finger that taps twice (60-800 ms apart, as many citizens do) changes the screen with
the first tap; the second lands on whatever the new screen has under it: a service never
chosen, or "Done" on a number never seen. So a screen takes no touch that began before it
was drawn or in its first moments on the glass, and a screen that shows a number holds a
little longer, so the citizen sees it before a touch can leave it.

Time is the session's clock (injected: the UI tests move it by hand). A touch carries the
wall-clock time it began (Kivy's touch.time_start); its age is taken off the session's
"now", so a touch queued behind a slow frame counts from when the finger came down.
"""

from __future__ import annotations

import time

from kivy.core.window import Window

from kiosk.session import Screen, Session

SETTLE_SECONDS = 1.0  # any screen: a touch sooner than this is the end of a double tap
NUMBER_SECONDS = 1.5  # a screen showing a number: long enough to see the number
SHOWS_A_NUMBER = (Screen.TICKET, Screen.TICKET_STATUS)


class TouchGuard:
    """Follows the session's screen and the frames drawn; says which touches come too soon."""

    def __init__(self, session: Session) -> None:
        self.clock = session.clock
        self.screen = session.screen
        self.hold = SETTLE_SECONDS
        self.drawn_at: float | None = None  # None: the screen shown has not been drawn yet
        # Before the app's own listener: the screen changes after the guard knows.
        session.subscribe(self._session_changed)
        Window.bind(on_flip=self._frame_drawn)

    def _session_changed(self, session: Session) -> None:
        if session.screen is not self.screen:
            self.screen = session.screen
            self.screen_shown(NUMBER_SECONDS if self.screen in SHOWS_A_NUMBER
                              else SETTLE_SECONDS)

    def screen_shown(self, hold: float = SETTLE_SECONDS) -> None:
        """A new screen (or a dialog over one) is on its way to the glass: touches wait for
        it, as for the session's screens (staff mode's screens call this themselves)."""
        self.hold = hold
        self.drawn_at = None

    def _frame_drawn(self, *_args) -> None:  # type: ignore[no-untyped-def]
        if self.drawn_at is None:
            self.drawn_at = self.clock()

    def touches_from(self) -> float | None:
        """When, on the session's clock, the screen starts taking touches (None: not
        drawn yet, so not known)."""
        return None if self.drawn_at is None else self.drawn_at + self.hold

    def refuses(self, time_start: float) -> bool:
        """True for a touch that began (Kivy's touch.time_start, wall clock) too soon."""
        start = self.touches_from()
        if start is None:
            return True
        began = self.clock() - max(0.0, time.time() - time_start)
        return began < start
