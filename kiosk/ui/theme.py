"""Colours and sizes shared by every screen (.kv files import this module).

Text contrast is at least 7:1 (WCAG AAA); tests/test_theme.py checks every pair used.
Touch targets are at least 15 mm: 96 dp is 15 mm up to 162 dpi, denser than any
lobby touch screen (a 21.5" 1080p panel is about 102 dpi).
"""

# RGBA, 0..1
WHITE = (1, 1, 1, 1)
INK = (0.10, 0.10, 0.10, 1)  # body text on white
NAVY = (0.043, 0.180, 0.349, 1)  # #0B2E59: buttons, headers
NAVY_PRESSED = (0.02, 0.10, 0.22, 1)
PAPER = (0.96, 0.97, 0.98, 1)  # screen background
MUTED = (0.27, 0.29, 0.33, 1)  # secondary text on PAPER
WARNING_BG = (1.0, 0.96, 0.80, 1)  # soft yellow box for "printer not working"
WARNING_EDGE = (0.60, 0.33, 0.0, 1)
DISABLED_BG = (0.30, 0.33, 0.38, 1)  # tiles for features not available yet

# The printer mark in the header (for staff; small, no text, never alarming).
PRINTER_MARK = {
    "ok": (0.35, 0.75, 0.45, 1),
    "low": (0.95, 0.70, 0.20, 1),
    "fault": (0.90, 0.30, 0.25, 1),
    "unknown": (0.55, 0.58, 0.62, 1),
}

# (foreground, background) pairs that carry text; each must reach 7:1.
TEXT_PAIRS = {
    "body": (INK, PAPER),
    "muted": (MUTED, PAPER),
    "button": (WHITE, NAVY),
    "button_pressed": (WHITE, NAVY_PRESSED),
    "disabled_tile": (WHITE, DISABLED_BG),
    "warning": (INK, WARNING_BG),
    "number": (NAVY, PAPER),
}

TOUCH_MIN_DP = 96
HEADER_DP = 110
NAVBAR_DP = 130

FONT_SMALL = 26
FONT_BODY = 34
FONT_TITLE = 46
FONT_BUTTON = 38
FONT_HUGE = 60
FONT_NUMBER = 220


def contrast_ratio(fg: tuple[float, ...], bg: tuple[float, ...]) -> float:
    """WCAG 2 contrast ratio between two opaque colours."""

    def luminance(c: tuple[float, ...]) -> float:
        def channel(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

        r, g, b = (channel(v) for v in c[:3])
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    hi, lo = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)
