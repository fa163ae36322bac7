"""Compose a ticket as ESC/POS bytes in memory, with python-escpos doing the encoding.

Profile choice: "TM-T20II" by default. Among python-escpos 3.1 profiles it is an 80 mm
Epson with media width 576 dots, 203 dpi, native QR (``qrCode``), full and partial cut.
Pitfalls this avoids:
- "default" has media width "Unknown": every ``image()`` call prints a warning on stdout and
  no width check is done.
- "TM-T88III/IV/V" declare 512 dots: a 576-dot raster raises ImageWidthError.
- A profile without ``paperFullCut``/``paperPartCut`` makes ``cut()`` silently send no GS V.
- ``qr(native=True)`` does not consult the profile at all in 3.1, and ``qr("")`` silently
  prints nothing; both are checked here.
- ``image(center=True)`` pads the raster to the full media width (more bytes on the wire);
  we use ESC a justification instead, which GS v 0 honours. ``raster_at()`` goes further:
  strips cropped to their own ink, each placed with GS L (left margin, counted in
  horizontal motion units: one dot by default on 203 dpi printers), see strips.py.
The profile's media width is overridden with ``width_dots`` on a private copy of the profile
(escpos profile data is a class-level dict shared by every printer object: never mutate it).
"""

from __future__ import annotations

import copy

from drivers.printer import _escpos_compat  # noqa: F401  (before escpos: see its docstring)

# isort: split
from escpos.capabilities import get_profile_class
from escpos.constants import QR_ECLEVEL_M
from escpos.exceptions import ImageWidthError
from escpos.printer import Dummy
from PIL import Image, ImageChops

from . import tcvn3
from .profiles import (  # noqa: F401 (drivers.printer.job's names too)
    DEFAULT_PROFILE,
    DEFAULT_WIDTH_DOTS,
    WIDTH_DOTS_RANGE,
)
from .states import Unsupported
from .strips import plan_strips, strip_image

ALIGNMENTS = ("left", "center", "right")


def profile_class(name: str | None) -> type:
    """python-escpos's profile class for ``name`` (None: the default); ValueError if none."""
    name = name or DEFAULT_PROFILE
    try:
        return get_profile_class(name)
    except KeyError:
        raise ValueError(f"unknown python-escpos printer profile {name!r}") from None


def known_profile_names() -> frozenset[str]:
    """Every profile name in python-escpos's printer database, as it loaded it."""
    from escpos.capabilities import CAPABILITIES

    return frozenset(CAPABILITIES["profiles"])


def make_profile(name: str | None, width_dots: int) -> object:
    """An escpos profile instance for ``name`` whose media width is ``width_dots``."""
    base = profile_class(name)
    data = copy.deepcopy(base.profile_data)
    media = data.setdefault("media", {})
    if not isinstance(media.get("width"), dict):
        media["width"] = {}
    media["width"]["pixels"] = width_dots
    if not isinstance(media.get("dpi"), int):
        media["dpi"] = 203  # stops escpos from computing and caching a dpi in shared data
    return type(f"Kiosk{base.__name__}", (base,), {"profile_data": data})()


class TicketJob:
    """Builder for one ticket. ``to_bytes()`` gives what to send with TicketPrinter.print_job."""

    def __init__(self, profile: str | None = None, width_dots: int = DEFAULT_WIDTH_DOTS) -> None:
        lo, hi = WIDTH_DOTS_RANGE
        if not lo <= width_dots <= hi:
            raise ValueError(f"width_dots must be {lo}..{hi}, got {width_dots}")
        self.width_dots = width_dots
        self.profile_name = profile or DEFAULT_PROFILE
        self._profile = make_profile(profile, width_dots)
        # The printer is in CP437 after ESC @; telling MagicEncode so saves an ESC t per job.
        self._p = Dummy(profile=self.profile_name, magic_encode_args={"encoding": "CP437"})
        # Escpos.__init__ only accepts a profile *name* (or escpos.capabilities.Profile, whose
        # __init__ wipes the feature list), so the width-adjusted copy is swapped in after.
        self._p.profile = self._profile
        self._style: tuple[int, int, bool] | None = None  # unknown until set or ESC @
        self._line_open = False
        # Justification asked for with align(), and what the printer has now: placed
        # rasters switch to left + GS L margin, undone before anything aligned follows.
        self._align = "left"
        self._justified = "left"  # as after power-on and ESC @
        self._margin = 0

    @property
    def native_qr(self) -> bool:
        return bool(self._profile.supports("qrCode"))  # type: ignore[attr-defined]

    def _end_line(self) -> None:
        # GS v 0 and GS ( k are ignored or misplaced by some printers mid-line.
        if self._line_open:
            self._p.text("\n")
            self._line_open = False

    def init(self) -> TicketJob:
        self._p.hw("INIT")  # ESC @ also resets justification and the left margin
        self._style = (1, 1, False)
        self._line_open = False
        self._align = self._justified = "left"
        self._margin = 0
        return self

    @property
    def alignment(self) -> str:
        """The justification asked for with align() (ESC @ leaves "left")."""
        return self._align

    def align(self, how: str) -> TicketJob:
        """Justify what follows. ESC a goes out with the next text, QR or raster() (it
        counts at a line's start only), and not at all before placed strips."""
        if how not in ALIGNMENTS:
            raise ValueError(f"align must be one of {ALIGNMENTS}, got {how!r}")
        self._align = how
        return self

    def _set_margin(self, dots: int) -> None:
        if dots != self._margin:
            # GS L counts horizontal motion units, one dot by default on 203 dpi printers.
            self._p._raw(b"\x1dL" + dots.to_bytes(2, "little"))
            self._margin = dots

    def _unplace(self) -> None:
        """Back to the asked-for justification and no left margin, after placed rasters."""
        self._set_margin(0)
        if self._justified != self._align:
            self._p.set(align=self._align)
            self._justified = self._align

    def text(self, ascii_text: str, width_mult: int = 1, height_mult: int = 1,
             bold: bool = False) -> TicketJob:
        """Printable ASCII and newlines only; anything else must be rasterised by the caller."""
        for i, ch in enumerate(ascii_text):
            if ch != "\n" and not " " <= ch <= "~":
                # Also stops control bytes (ESC, GS ...) in data from injecting commands.
                raise ValueError(f"text() takes printable ASCII only: {ch!r} at index {i}")
        if not (1 <= width_mult <= 8 and 1 <= height_mult <= 8):
            raise ValueError("width_mult and height_mult must be 1..8")
        if ascii_text and not self._line_open:
            self._unplace()  # GS L only counts at the start of a line
        style = (width_mult, height_mult, bool(bold))
        if style != self._style:
            if self._style is None or style[:2] != self._style[:2]:
                self._p.set(custom_size=True, width=width_mult, height=height_mult)
            if self._style is None or style[2] != self._style[2]:
                self._p.set(bold=bool(bold))
            self._style = style
        if ascii_text:
            self._p.text(ascii_text)
            self._line_open = not ascii_text.endswith("\n")
        return self

    @property
    def has_tcvn3(self) -> bool:
        """The profile lists the TCVN-3 code pages (30 and 31) for Vietnamese text."""
        pages = getattr(self._profile, "profile_data", {}).get("codePages", {})
        return all(pages.get(str(n)) == name for n, name in tcvn3.PAGES.items())

    def vietnamese_text(self, text: str, width_mult: int = 1, height_mult: int = 1,
                        bold: bool = False) -> TicketJob:
        """Vietnamese as printer text through the TCVN-3 code pages (bytes instead of a
        raster). Only for printers whose operator checked the test page: many cheap
        printers claim the pages but print other glyphs."""
        if not self.has_tcvn3:
            raise Unsupported(f"profile {self.profile_name} has no TCVN-3 code pages")
        if not tcvn3.can_encode(text.replace("\n", "")):
            raise ValueError(f"{text!r} has letters TCVN-3 lacks; rasterise it instead")
        self.text("", width_mult, height_mult, bold)  # sets the style only
        if not self._line_open:
            self._unplace()
        self._p._raw(tcvn3.encode(text))
        self._line_open = not text.endswith("\n")
        return self

    def raster(self, img: Image.Image) -> TicketJob:
        """Print a 1-bit image (black = printed) with GS v 0, as is (caller crops it)."""
        if not isinstance(img, Image.Image) or img.mode != "1":
            raise ValueError("raster() needs a PIL image in mode '1'")
        if not 1 <= img.width <= self.width_dots or img.height < 1:
            raise ValueError(f"raster is {img.width}x{img.height}; width must be "
                             f"1..{self.width_dots} dots and height >= 1")
        self._end_line()
        self._unplace()
        self._p.image(img, impl="bitImageRaster", center=False)
        return self

    def raster_at(self, img: Image.Image, x: int) -> TicketJob:
        """Print a 1-bit image with its left edge `x` dots from the printable area's,
        as stacked strips each cropped to its own ink (drivers/printer/strips.py): the
        same dots as raster() at that place, in fewer bytes. Left justification and a
        GS L margin place each strip; the next text, QR or raster() undoes them."""
        if not isinstance(img, Image.Image) or img.mode != "1":
            raise ValueError("raster_at() needs a PIL image in mode '1'")
        padded = (img.width + 7) // 8 * 8
        if img.height < 1 or img.width < 1 or x < 0 or x + padded > self.width_dots:
            raise ValueError(f"raster {img.width}x{img.height} at x={x} does not fit "
                             f"{self.width_dots} dots")
        self._end_line()
        if self._justified != "left":
            self._p.set(align="left")
            self._justified = "left"
        for strip in plan_strips(img, self.width_dots - x):
            part = strip_image(img, strip)
            blank = ImageChops.invert(part.convert("L")).getbbox() is None
            # A blank strip only feeds paper: wherever the margin is, if it fits there.
            if not blank or self._margin + strip.width > self.width_dots:
                self._set_margin(x + strip.left)
            self._p.image(part, impl="bitImageRaster", center=False)
        return self

    def qr(self, data: str, module_size: int = 6, native: bool = True) -> TicketJob:
        """QR code, error correction M. Native (GS ( k, a few dozen bytes) or as a raster."""
        if not data:
            raise ValueError("qr() needs non-empty data")  # escpos would print nothing
        if not 1 <= module_size <= 16:
            raise ValueError(f"module_size must be 1..16, got {module_size}")
        self._end_line()
        self._unplace()
        if native:
            if not self.native_qr:
                raise Unsupported(f"profile {self.profile_name} has no native QR; "
                                  "use native=False")
            self._p.qr(data, ec=QR_ECLEVEL_M, size=module_size, native=True)
            return self
        try:
            self._p.qr(data, ec=QR_ECLEVEL_M, size=module_size, native=False,
                       image_arguments={"impl": "bitImageRaster", "center": False})
        except ImageWidthError as e:
            raise ValueError(f"QR image wider than {self.width_dots} dots: {e}") from None
        return self

    def feed(self, n: int = 1) -> TicketJob:
        if not 0 <= n <= 255:
            raise ValueError(f"feed takes 0..255 lines, got {n}")
        self._p.print_and_feed(n)
        self._line_open = False
        return self

    def cut(self) -> TicketJob:
        """Feed past the cutter and cut (ESC d 6, GS V 0). Without a cutter: feed only."""
        self._p.cut()
        self._line_open = False
        return self

    def to_bytes(self) -> bytes:
        return bytes(self._p.output)

    def __len__(self) -> int:
        return len(self._p.output)
