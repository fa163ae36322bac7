"""How staff come in, without Kivy and without the database: the hidden gesture, and the
states of a staff visit. Kept apart from kiosk/staff_mode.py (PINs, the audit log) so the
kiosk's first frame does not wait for the database's modules (docs/architecture.md,
"Start-up").

`EntryGesture` watches every touch for a sequence a citizen will not make by chance: hold
the top-left corner 3 s, then tap the top-right, bottom-right and bottom-left corners
within 6 s.
"""

from __future__ import annotations

import enum

HOLD_SECONDS = 3.0  # the top-left corner is held at least this long ...
TAPS_WITHIN = 6.0  # ... then the other three corners tapped within this after letting go
CORNER_SHARE = 0.12  # a corner: this share of the screen's shorter side, square

TOP_LEFT, TOP_RIGHT, BOTTOM_RIGHT, BOTTOM_LEFT = "top_left", "top_right", "bottom_right", \
    "bottom_left"
TAPS = (TOP_RIGHT, BOTTOM_RIGHT, BOTTOM_LEFT)


class EntryGesture:
    """The hidden way in. Coordinates are window pixels with the origin at the bottom left
    (Kivy's); `t` is seconds on any steady clock. touch_up returns True once, when the last
    tap of the gesture completes; any other touch in between starts it over."""

    def __init__(self, width: float, height: float) -> None:
        self.resize(width, height)
        self._reset()

    def resize(self, width: float, height: float) -> None:
        self.width, self.height = float(width), float(height)
        self.corner = CORNER_SHARE * min(self.width, self.height)

    def corner_of(self, x: float, y: float) -> str | None:
        """Which corner (x, y) is in, if any."""
        left, right = x <= self.corner, x >= self.width - self.corner
        bottom, top = y <= self.corner, y >= self.height - self.corner
        if top and left:
            return TOP_LEFT
        if top and right:
            return TOP_RIGHT
        if bottom and right:
            return BOTTOM_RIGHT
        if bottom and left:
            return BOTTOM_LEFT
        return None

    def _reset(self) -> None:
        self._down: tuple[str | None, float] | None = None  # the finger down: corner, time
        self._held_at: float | None = None  # when the hold ended (taps expected)
        self._taps = 0  # taps of TAPS done

    def touch_down(self, x: float, y: float, t: float) -> bool:
        if self._down is not None:  # a second finger: not the gesture
            self._reset()
            return False
        corner = self.corner_of(x, y)
        if self._held_at is not None and (t - self._held_at > TAPS_WITHIN
                                          or corner != TAPS[self._taps]):
            self._reset()  # too late or the wrong place: perhaps a new start (below)
        self._down = (corner, t)
        return False

    def touch_up(self, x: float, y: float, t: float) -> bool:
        if self._down is None:
            return False
        corner, since = self._down
        self._down = None
        if corner is None or self.corner_of(x, y) != corner:
            self._reset()
            return False
        if self._held_at is None:
            if corner == TOP_LEFT and t - since >= HOLD_SECONDS:
                self._held_at = t
            else:
                self._reset()
            return False
        if t - self._held_at > TAPS_WITHIN:
            self._reset()
            return False
        self._taps += 1
        if self._taps < len(TAPS):
            return False
        self._reset()
        return True


class State(enum.Enum):
    CLOSED = "closed"  # citizen screens
    CHOOSING = "choosing"  # the list of staff names
    PIN = "pin"  # the PIN pad for the chosen name
    OPEN = "open"  # signed in: the staff tabs
