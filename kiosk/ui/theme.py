"""Colours and sizes shared by every screen (.kv files import this module).

Colours come in palettes: the normal one and a high-contrast one a citizen can switch to
(the Contrast button). Screens read them as ``app.palette.<role>`` so a switch recolours
every visible widget at once. Text contrast is at least 7:1 (WCAG AAA) in both palettes;
tests/test_theme.py checks every pair used.
Touch targets are at least 15 mm: 96 dp is 15 mm up to 162 dpi, denser than any
lobby touch screen (a 21.5" 1080p panel is about 102 dpi).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from kiosk.session import TEXT_SIZES

Colour = tuple[float, float, float, float]  # RGBA, 0..1

WHITE: Colour = (1, 1, 1, 1)
BLACK: Colour = (0, 0, 0, 1)
NAVY: Colour = (0.043, 0.180, 0.349, 1)  # #0B2E59
YELLOW: Colour = (1.0, 0.86, 0.0, 1)  # #FFDB00, the usual high-contrast accent


@dataclass(frozen=True)
class Palette:
    """What each colour is for; a screen never names a colour, only a role."""

    name: str
    paper: Colour  # screen background
    ink: Colour  # body text on paper
    muted: Colour  # secondary text on paper
    accent: Colour  # numbers, headings, pictures on paper
    button: Colour  # face of an action button
    button_ink: Colour  # words and icon on a button
    button_pressed: Colour  # face while a finger is on it
    button_pressed_ink: Colour
    option: Colour  # face of a choice not (yet) chosen, e.g. a rating reason
    option_ink: Colour
    unavailable: Colour  # face of a feature this kiosk does not offer yet
    unavailable_ink: Colour
    header: Colour
    header_ink: Colour
    warning: Colour  # "the printer is not working", greetings and notices
    warning_ink: Colour
    warning_edge: Colour
    edge: Colour  # outline drawn round buttons and boxes (edge_dp wide)
    edge_dp: float


NORMAL = Palette(
    name="normal",
    paper=(0.96, 0.97, 0.98, 1),
    ink=(0.10, 0.10, 0.10, 1),
    muted=(0.27, 0.29, 0.33, 1),
    accent=NAVY,
    button=NAVY,
    button_ink=WHITE,
    button_pressed=(0.02, 0.10, 0.22, 1),
    button_pressed_ink=WHITE,
    option=WHITE,
    option_ink=NAVY,
    unavailable=(0.30, 0.33, 0.38, 1),
    unavailable_ink=WHITE,
    header=NAVY,
    header_ink=WHITE,
    warning=(1.0, 0.96, 0.80, 1),
    warning_ink=(0.10, 0.10, 0.10, 1),
    warning_edge=(0.60, 0.33, 0.0, 1),
    edge=NAVY,
    edge_dp=0,  # buttons are solid; options draw their own outline
)

# Black, white and yellow only (plus one grey for what is not offered): the scheme
# low-vision users know from operating systems' high-contrast modes.
HIGH_CONTRAST = Palette(
    name="high_contrast",
    paper=BLACK,
    ink=WHITE,
    muted=WHITE,
    accent=YELLOW,
    button=YELLOW,
    button_ink=BLACK,
    button_pressed=WHITE,
    button_pressed_ink=BLACK,
    option=BLACK,
    option_ink=WHITE,
    unavailable=(0.25, 0.25, 0.25, 1),
    unavailable_ink=WHITE,
    header=BLACK,
    header_ink=WHITE,
    warning=BLACK,
    warning_ink=YELLOW,
    warning_edge=YELLOW,
    edge=WHITE,
    edge_dp=4,
)

PALETTES = {p.name: p for p in (NORMAL, HIGH_CONTRAST)}

# The printer mark in the header (for staff; small, no text, never alarming).
PRINTER_MARK = {
    "ok": (0.35, 0.75, 0.45, 1),
    "low": (0.95, 0.70, 0.20, 1),
    "fault": (0.90, 0.30, 0.25, 1),
    "unknown": (0.55, 0.58, 0.62, 1),
}

# (foreground, background) role pairs that carry text or icons; each must reach 7:1.
TEXT_PAIRS = (
    ("ink", "paper"),
    ("muted", "paper"),
    ("accent", "paper"),
    ("button_ink", "button"),
    ("button_pressed_ink", "button_pressed"),
    ("option_ink", "option"),
    ("unavailable_ink", "unavailable"),
    ("header_ink", "header"),
    ("warning_ink", "warning"),
    ("button", "button_ink"),  # the service letter: button colour on a button_ink disc
)

TOUCH_MIN_DP = 96
HEADER_DP = 110
NAVBAR_DP = 140

FONT_SMALL = 26
FONT_BODY = 34
FONT_TITLE = 46
FONT_BUTTON = 38
FONT_HUGE = 60
FONT_NUMBER = 220

# The Text size button's mark for each of kiosk.session.TEXT_SIZES: normal, large, extra
# large. Letters and pluses, read the same in every language.
TEXT_SIZE_MARKS = ("A", "A+", "A++")


def text_size_mark(scale: float) -> str:
    return TEXT_SIZE_MARKS[TEXT_SIZES.index(scale)]


def fitted(wanted: float, room: float) -> float:
    """A picture's size: as wanted, or the room there is, but never below a third of it
    (while a layout is still being worked out its room can be nothing)."""
    return max(min(wanted, room), wanted / 3)


def colour_roles() -> tuple[str, ...]:
    return tuple(f.name for f in fields(Palette) if f.name not in ("name", "edge_dp"))


def contrast_ratio(fg: tuple[float, ...], bg: tuple[float, ...]) -> float:
    """WCAG 2 contrast ratio between two opaque colours."""

    def luminance(c: tuple[float, ...]) -> float:
        def channel(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

        r, g, b = (channel(v) for v in c[:3])
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    hi, lo = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)
