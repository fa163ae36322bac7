"""What a printed queue ticket looks like, as the fewest bytes that show it right.

ASCII (the number, the time) goes as printer text in the printer's own font, enlarged.
Text the printer's code pages cannot show (Vietnamese, K'Ho letters) is drawn with the
bundled Noto Sans and sent as raster cropped to its ink, in strips placed with GS L
(TicketJob.raster_at): the rows of marks and descenders cost only the width of their own
ink, not the line's. The QR goes natively (GS ( k).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont, features

from drivers.printer import TicketJob, tcvn3
from drivers.printer.decode import placed_x
from kiosk.i18n import translate
from kiosk.paths import FONT_BOLD, FONT_REGULAR

# Below this ink threshold a grey anti-aliased pixel prints white; 1-bit thermal heads
# have no grey.
INK_THRESHOLD = 110
# Keep a little margin inside the printable width.
SIDE_MARGIN_DOTS = 16


@dataclass(frozen=True)
class TicketContent:
    ticket_id: str
    number: str
    centre_name: str
    service_name: str
    people_ahead: int
    issued_at: datetime
    lang: str
    counters: tuple[int, ...] = ()  # where the number is called: printed below it
    wait_minutes: int | None = None  # the centre's estimate; not printed when None


def text_shaping_available() -> bool:
    """True when Pillow can shape text (raqm: HarfBuzz + FriBiDi, see setup.sh).

    Without it, combining marks (the breve of ơ̆, stacked Vietnamese tones) are placed
    by Pillow's basic layout and may collide or drift.
    """
    return bool(features.check("raqm"))


@lru_cache(maxsize=16)
def _font(size: int, bold: bool) -> ImageFont.FreeTypeFont:
    engine = ImageFont.Layout.RAQM if text_shaping_available() else ImageFont.Layout.BASIC
    return ImageFont.truetype(str(FONT_BOLD if bold else FONT_REGULAR), size,
                              layout_engine=engine)


def is_printer_text(text: str) -> bool:
    """True when the printer's own font can show `text` (printable ASCII only)."""
    return all(32 <= ord(ch) < 127 for ch in text)


def _wrap(text: str, font: ImageFont.FreeTypeFont, max_width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if current and font.getlength(trial) > max_width:
            lines.append(current)
            current = word
        else:
            current = trial
    if current:
        lines.append(current)
    return lines or [""]


def render_text(text: str, size: int, bold: bool, max_width: int) -> Image.Image:
    """`text` as a 1-bit image cropped to its ink, wrapped to `max_width` dots."""
    font = _font(size, bold)
    lines = _wrap(text, font, max_width)
    line_height = int(size * 1.45)  # room for stacked diacritics (ế, ơ̆)
    width = max(max(int(font.getlength(line)) for line in lines), 1) + 8
    canvas = Image.new("L", (width, line_height * len(lines) + size), 255)
    draw = ImageDraw.Draw(canvas)
    for i, line in enumerate(lines):
        x = 4 + (width - 8 - int(font.getlength(line))) // 2  # centred, like the printer text
        draw.text((x, i * line_height + size // 3), line, font=font, fill=0)
    bw = canvas.point(lambda v: 0 if v < INK_THRESHOLD else 255, mode="1")
    # Crop to the ink: every blank row costs width/8 bytes on the wire.
    inverted = Image.eval(canvas, lambda v: 255 - v).point(
        lambda v: 255 if v > 255 - INK_THRESHOLD else 0
    )
    box = inverted.getbbox()
    if box is None:
        return Image.new("1", (8, 1), 1)
    return bw.crop(box)


class TicketLayout:
    # Raster text heights in dots (8 per mm): every raster row costs its inked width / 8
    # bytes on the wire, so secondary lines are small and only the number is big (printer
    # font). Not smaller: these are what a citizen reads on the paper.
    CENTRE_SIZE = 22
    SERVICE_SIZE = 28
    AHEAD_SIZE = 24
    COUNTERS_SIZE = 28
    CLOSING_SIZE = 22

    def __init__(self, width_dots: int = 576, profile: str | None = None,
                 tcvn3: bool = False, strips: bool = True) -> None:
        self.width_dots = width_dots
        self.profile = profile
        self.tcvn3 = tcvn3  # the operator confirmed TCVN-3 prints right (see test-print)
        self.strips = strips  # devices.printer_raster_strips: the printer honours GS L

    def line(self, job: TicketJob, text: str, size: int, bold: bool = False,
             mult: int = 1) -> None:
        """One line: printer text when it can be, else raster of the bundled font."""
        if is_printer_text(text):
            job.text(text + "\n", width_mult=mult, height_mult=mult, bold=bold)
        elif self.tcvn3 and job.has_tcvn3 and tcvn3.can_encode(text):
            job.vietnamese_text(text + "\n", width_mult=mult, height_mult=mult, bold=bold)
        else:
            img = render_text(text, size, bold, self.width_dots - 2 * SIDE_MARGIN_DOTS)
            if self.strips:
                # Where ESC a would put the whole image (padded to bytes): the same dots.
                padded = (img.width + 7) // 8 * 8
                job.raster_at(img, placed_x(job.alignment, 0, padded, job.width_dots))
            else:
                job.raster(img)
            job.feed(1)

    def compose(self, t: TicketContent) -> bytes:
        _ = lambda message: translate(t.lang, message)  # noqa: E731
        job = TicketJob(profile=self.profile, width_dots=self.width_dots)
        job.init()
        job.align("center")
        self.line(job, t.centre_name, self.CENTRE_SIZE)
        self.line(job, t.service_name, self.SERVICE_SIZE, bold=True)
        job.text(t.number + "\n", width_mult=4, height_mult=4, bold=True)
        if t.counters:
            counters = ", ".join(str(n) for n in t.counters)
            self.line(job, _("Counter: {numbers}").format(numbers=counters), self.COUNTERS_SIZE,
                      bold=True)
        self.line(job, _("People ahead: {count}").format(count=t.people_ahead), self.AHEAD_SIZE)
        if t.wait_minutes is not None:
            self.line(job, _("Estimated wait: about {minutes} min").format(
                minutes=t.wait_minutes), self.AHEAD_SIZE)
        job.text(t.issued_at.strftime("%d/%m/%Y %H:%M") + "\n")
        # Native QR is a few dozen bytes; as an image it is kilobytes.
        job.qr(t.ticket_id, module_size=5, native=job.native_qr)
        self.line(job, _("Please wait until your number is called."), self.CLOSING_SIZE)
        job.feed(2)
        job.cut()
        return job.to_bytes()
