"""Cut a 1-bit image into stacked raster strips, each cropped to its own ink.

A GS v 0 raster costs its width in bytes for every row, and a line of text is only wide
in its middle rows: the rows above (tone marks, breves, the stacked marks of ầ) and below
(descenders, the dot of ạ) hold ink over a few letters only. Sent as one image, those rows
cost the whole line's width; sent as their own narrower image, placed with GS L, they
cost what their ink spans. Strips printed one after another abut exactly (each GS v 0
feeds its own height), so the paper shows the same dots.

Which rows to group is a small dynamic programme over the rows' ink extents, with each
strip's command bytes as its fixed cost, so a strip is split off only when that saves
bytes on the wire (by more than SPLIT_PENALTY).
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

GS_V0_HEADER = 8  # GS v 0 m xL xH yL yH
GS_L_BYTES = 4  # GS L nL nH, when a strip starts elsewhere than the one before
# A strip must save this much more than its own commands: no one-row slivers, fewer
# commands for the printer to parse between dot lines, for a dozen bytes a ticket.
SPLIT_PENALTY = 8


@dataclass(frozen=True)
class Strip:
    top: int  # first row of the image
    height: int
    left: int  # first column of the image sent (the strip's x offset)
    width: int  # columns sent: a multiple of 8, GS v 0 sends whole bytes

    @property
    def cost(self) -> int:
        return GS_V0_HEADER + GS_L_BYTES + self.height * self.width // 8


def _row_extents(img: Image.Image) -> list[tuple[int, int] | None]:
    """Per row, (first, last + 1) column holding ink, or None for a blank row."""
    pixels = img.convert("L").tobytes()  # a byte a dot: 0 printed, 255 blank
    w = img.width
    extents: list[tuple[int, int] | None] = []
    for y in range(img.height):
        row = pixels[y * w:(y + 1) * w]
        lead = len(row) - len(row.lstrip(b"\xff"))
        extents.append(None if lead == w else (lead, len(row.rstrip(b"\xff"))))
    return extents


def _span_bytes(lo: int, hi: int) -> int:
    return (hi - lo + 7) // 8


def plan_strips(img: Image.Image, room: int) -> list[Strip]:
    """The cheapest stack of strips showing `img` (mode "1", black = printed).

    `room` is how many columns may be sent from the image's left edge (the rest of the
    paper): a strip padded to whole bytes is moved left rather than past it. Blank row
    runs become a one-byte-wide strip (blank rows still feed paper). The strips cover
    every row, top to bottom, once.
    """
    if img.width > room:
        raise ValueError(f"image is {img.width} dots wide, only {room} fit")
    extents = _row_extents(img)
    h = len(extents)
    best = [0] + [-1] * h  # best[j]: cheapest bytes for rows 0..j-1
    cut = [0] * (h + 1)
    for j in range(1, h + 1):
        lo, hi = img.width, 0
        for i in range(j - 1, -1, -1):  # strip = rows i..j-1, widened one row at a time
            ext = extents[i]
            if ext is not None:
                lo, hi = min(lo, ext[0]), max(hi, ext[1])
            width_bytes = _span_bytes(lo, hi) if hi > lo else 1
            cost = best[i] + GS_V0_HEADER + GS_L_BYTES + SPLIT_PENALTY + (j - i) * width_bytes
            if best[j] < 0 or cost < best[j]:
                best[j], cut[j] = cost, i
    strips: list[Strip] = []
    j = h
    while j > 0:
        i = cut[j]
        inked = [e for e in extents[i:j] if e is not None]
        if inked:
            lo = min(e[0] for e in inked)
            width = _span_bytes(lo, max(e[1] for e in inked)) * 8
        else:
            lo, width = 0, 8
        lo = max(0, min(lo, room - width))  # keep the byte padding on the paper
        strips.append(Strip(i, j - i, lo, width))
        j = i
    return strips[::-1]


def strip_image(img: Image.Image, strip: Strip) -> Image.Image:
    """The strip's rows and columns of `img`, white beyond the image's right edge."""
    part = Image.new("1", (strip.width, strip.height), 1)
    part.paste(img.crop((strip.left, strip.top, min(img.width, strip.left + strip.width),
                         strip.top + strip.height)), (0, 0))
    return part
