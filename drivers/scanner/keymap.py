"""Keyboard-wedge (USB HID) scanners: key events back to the characters they typed.

A keyboard-wedge scanner "types" each character as a key press, with Shift for capitals and
symbols, as a US keyboard would, and presses Enter after the data. ``KeyDecoder`` turns the
Linux input events (EV_KEY code + value) back into bytes, Enter into CR, so the result goes
through the same FrameSplitter as a serial scanner's bytes.

Pure (no python-evdev needed): key codes are the Linux input ABI (linux/input-event-codes.h),
which does not change, so they are listed here by number.
"""

from __future__ import annotations

EV_KEY = 0x01
KEY_UP, KEY_DOWN, KEY_HOLD = 0, 1, 2

KEY_ENTER = 28
KEY_KPENTER = 96
KEY_LEFTSHIFT = 42
KEY_RIGHTSHIFT = 54
KEY_CAPSLOCK = 58
_SHIFTS = frozenset({KEY_LEFTSHIFT, KEY_RIGHTSHIFT})

# code -> (unshifted, shifted), US layout.
_US: dict[int, tuple[str, str]] = {
    2: ("1", "!"), 3: ("2", "@"), 4: ("3", "#"), 5: ("4", "$"), 6: ("5", "%"),
    7: ("6", "^"), 8: ("7", "&"), 9: ("8", "*"), 10: ("9", "("), 11: ("0", ")"),
    12: ("-", "_"), 13: ("=", "+"), 15: ("\t", "\t"),
    16: ("q", "Q"), 17: ("w", "W"), 18: ("e", "E"), 19: ("r", "R"), 20: ("t", "T"),
    21: ("y", "Y"), 22: ("u", "U"), 23: ("i", "I"), 24: ("o", "O"), 25: ("p", "P"),
    26: ("[", "{"), 27: ("]", "}"),
    30: ("a", "A"), 31: ("s", "S"), 32: ("d", "D"), 33: ("f", "F"), 34: ("g", "G"),
    35: ("h", "H"), 36: ("j", "J"), 37: ("k", "K"), 38: ("l", "L"),
    39: (";", ":"), 40: ("'", '"'), 41: ("`", "~"), 43: ("\\", "|"),
    44: ("z", "Z"), 45: ("x", "X"), 46: ("c", "C"), 47: ("v", "V"), 48: ("b", "B"),
    49: ("n", "N"), 50: ("m", "M"), 51: (",", "<"), 52: (".", ">"), 53: ("/", "?"),
    57: (" ", " "),
    # keypad (scanners set to "emulate keypad" type digits here)
    55: ("*", "*"), 71: ("7", "7"), 72: ("8", "8"), 73: ("9", "9"), 74: ("-", "-"),
    75: ("4", "4"), 76: ("5", "5"), 77: ("6", "6"), 78: ("+", "+"), 79: ("1", "1"),
    80: ("2", "2"), 81: ("3", "3"), 82: ("0", "0"), 83: (".", "."), 98: ("/", "/"),
}


class KeyDecoder:
    """Feed EV_KEY events in order; get the typed bytes. Other keys (Ctrl, Alt, F-keys,
    arrows) produce nothing and are counted in ``ignored``."""

    def __init__(self) -> None:
        self._shift: set[int] = set()
        self._caps = False
        self.ignored = 0

    def key(self, code: int, value: int) -> bytes:
        """One key event: ``value`` 1 = down, 0 = up, 2 = autorepeat."""
        if code in _SHIFTS:
            if value == KEY_UP:
                self._shift.discard(code)
            else:
                self._shift.add(code)
            return b""
        if value != KEY_DOWN:  # characters on key down; a scanner never autorepeats
            return b""
        if code == KEY_CAPSLOCK:
            self._caps = not self._caps
            return b""
        if code in (KEY_ENTER, KEY_KPENTER):
            return b"\r"
        chars = _US.get(code)
        if chars is None:
            self.ignored += 1
            return b""
        shifted = bool(self._shift)
        if self._caps and chars[0].isalpha():
            shifted = not shifted
        return chars[shifted].encode("ascii")

    def reset(self) -> None:
        self._shift.clear()
        self._caps = False
