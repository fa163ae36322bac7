"""Decode an ESC/POS job back into what the paper would show (drivers.printer.render draws it).

Used by tests (round trips), by the simulator's job viewer, and to eyeball tickets without a
printer. Not a full printer emulator: page mode, user-defined characters, barcodes and NV
graphics are counted as ``ignored`` rather than drawn.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image

from . import tcvn3  # registers the TCVN-3 codecs
from .escpos_stream import CMD, CTRL, INCOMPLETE, TEXT, UNKNOWN, Token, iter_tokens

# ESC t n -> Python codec. Pages without a codec fall back to latin-1, so
# decoding never fails; the caller can see which page was in effect in TextLine.codepage.
CODEPAGES = {
    0: "cp437", 2: "cp850", 3: "cp860", 4: "cp863", 5: "cp865", 16: "cp1252", 17: "cp866",
    18: "cp852", 19: "cp858", 45: "cp1250", 46: "cp1251", 47: "cp1253", 48: "cp1254",
    49: "cp1255", 50: "cp1256", 51: "cp1257", 52: "cp1258",
    **tcvn3.CODEC_NAMES,
}
FALLBACK_CODEC = "latin-1"
_ALIGN = {0: "left", 48: "left", 1: "center", 49: "center", 2: "right", 50: "right"}
_QR_EC = {48: "L", 49: "M", 50: "Q", 51: "H"}
_INVERT = bytes(255 - i for i in range(256))
MAX_BLOCK_HEIGHT = 20000  # dots, as render.MAX_RENDER_HEIGHT: about 2.5 m of paper


@dataclass(frozen=True)
class TextLine:
    text: str
    width_mult: int = 1
    height_mult: int = 1
    bold: bool = False
    align: str = "left"
    codepage: int = 0
    margin: int = 0  # GS L left margin, dots (motion unit = dot pitch assumed)


@dataclass(frozen=True)
class RasterImage:
    image: Image.Image  # PIL mode "1": printed dots are black (0), like the image sent
    source: str  # "GS v 0", "ESC *" or "GS ( L"
    scale_x: int = 1
    scale_y: int = 1
    align: str = "left"
    margin: int = 0


@dataclass(frozen=True)
class QRCode:
    payload: bytes
    module_size: int = 3
    ec: str = "L"
    model: int = 2
    align: str = "left"
    margin: int = 0


@dataclass(frozen=True)
class Cut:
    partial: bool
    feed: int = 0  # n of GS V function B/C/D (feed before cutting), 0 otherwise


@dataclass(frozen=True)
class Feed:
    lines: int = 0
    dots: int = 0


Element = TextLine | RasterImage | QRCode | Cut | Feed


@dataclass
class DecodedJob:
    elements: list[Element] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # known commands not interpreted here
    unknown: int = 0  # unknown ESC/GS/FS sequences skipped
    incomplete: bool = False  # the job ended inside a command

    @property
    def texts(self) -> list[str]:
        return [e.text for e in self.elements if isinstance(e, TextLine)]

    @property
    def text_lines(self) -> list[TextLine]:
        return [e for e in self.elements if isinstance(e, TextLine)]

    @property
    def images(self) -> list[Image.Image]:
        return [e.image for e in self.elements if isinstance(e, RasterImage)]

    @property
    def qr_payloads(self) -> list[bytes]:
        return [e.payload for e in self.elements if isinstance(e, QRCode)]

    @property
    def cuts(self) -> list[Cut]:
        return [e for e in self.elements if isinstance(e, Cut)]

    def raster_blocks(self, width_dots: int = 576) -> list[Image.Image]:
        """Raster images printed right after one another (the strips of one text line,
        drivers/printer/strips.py), pasted together as the paper shows them: one image
        `width_dots` wide per block, mode "1", black = printed."""
        groups: list[list[RasterImage]] = []
        follows = False
        for el in self.elements:
            if isinstance(el, RasterImage):
                if not follows:
                    groups.append([])
                groups[-1].append(el)
            follows = isinstance(el, RasterImage)
        blocks = []
        for group in groups:
            parts = [scaled_image(el, width_dots) for el in group]
            height = min(MAX_BLOCK_HEIGHT, sum(p.height for p in parts))
            block = Image.new("1", (width_dots, max(1, height)), 1)
            y = 0
            for el, part in zip(group, parts, strict=True):
                block.paste(part, (placed_x(el.align, el.margin, part.width, width_dots), y))
                y += part.height
            blocks.append(block)
        return blocks


def scaled_image(el: RasterImage, width_dots: int) -> Image.Image:
    """The raster as printed, as much as fits the paper (a hostile job cannot make this
    allocate gigabytes): double width / height modes scale each dot."""
    img = el.image.crop((0, 0, min(el.image.width, width_dots // el.scale_x),
                         min(el.image.height, MAX_BLOCK_HEIGHT // el.scale_y)))
    if el.scale_x == 1 and el.scale_y == 1:
        return img
    return img.resize((img.width * el.scale_x, img.height * el.scale_y),
                      Image.Resampling.NEAREST)


def placed_x(align: str, margin: int, width: int, width_dots: int) -> int:
    """Where a block `width` dots wide starts on paper `width_dots` wide: justified (ESC a)
    within the print area right of the left margin (GS L)."""
    margin = max(0, min(margin, width_dots - 1))  # a margin past the paper is trimmed
    if align == "center":
        return margin + (width_dots - margin - width) // 2
    if align == "right":
        return width_dots - width
    return margin


def _raster_to_image(data: bytes, width_bytes: int, height: int) -> Image.Image:
    # ESC/POS bit 1 = printed (black); PIL mode "1" bit 1 = white: invert while unpacking.
    return Image.frombytes("1", (width_bytes * 8, height), data.translate(_INVERT))


def _column_band(data: bytes, columns: int, per_column: int) -> Image.Image:
    """ESC * data: one column after another, each ``per_column`` bytes, MSB = top dot."""
    height = per_column * 8
    img = Image.new("1", (columns, height), 255)
    px = img.load()
    assert px is not None
    for x in range(columns):
        col = data[x * per_column:(x + 1) * per_column]
        for j, byte in enumerate(col):
            if byte:
                for k in range(8):
                    if byte & (0x80 >> k):
                        px[x, j * 8 + k] = 0
    return img


class _Decoder:
    def __init__(self) -> None:
        self.job = DecodedJob()
        self._reset()
        self.qr_data: bytes | None = None
        self.graphics: Image.Image | None = None
        self.graphics_scale = (1, 1)
        self.line = ""
        self.line_style: tuple[int, int, bool, str, int, int] | None = None
        self.bands: list[Image.Image] = []
        self.band_scale = 1
        self.band_lf_pending = False

    def _reset(self) -> None:
        self.codepage = 0
        self.width = 1
        self.height = 1
        self.bold = False
        self.align = "left"
        self.margin = 0
        self.qr_model = 2
        self.qr_size = 3
        self.qr_ec = "L"

    # -- element emission -------------------------------------------------------------
    def _emit(self, el: Element) -> None:
        self._flush_bands()
        self.job.elements.append(el)

    def _flush_line(self) -> bool:
        if self.line_style is None:
            return False
        w, h, bold, align, cp, margin = self.line_style
        self.job.elements.append(TextLine(self.line, w, h, bold, align, cp, margin))
        self.line, self.line_style = "", None
        return True

    def _flush_bands(self) -> None:
        if not self.bands:
            return
        width = max(b.width for b in self.bands)
        img = Image.new("1", (width, sum(b.height for b in self.bands)), 255)
        y = 0
        for band in self.bands:
            img.paste(band, (0, y))
            y += band.height
        self.bands = []
        self.band_lf_pending = False
        self.job.elements.append(RasterImage(img, "ESC *", self.band_scale, 1, self.align,
                                             self.margin))

    def _block_element(self, el: Element) -> None:
        # A graphic, QR or cut starts on a new line: pending text prints first.
        self._flush_line()
        self._emit(el)

    # -- tokens -----------------------------------------------------------------------
    def token(self, t: Token) -> None:
        if t.kind == TEXT:
            self._text(t.data)
        elif t.kind == CTRL:
            self._ctrl(t)
        elif t.kind == CMD:
            self._cmd(t)
        elif t.kind == UNKNOWN:
            self.job.unknown += 1
        elif t.kind == INCOMPLETE:
            self.job.incomplete = True

    def _text(self, data: bytes) -> None:
        self._flush_bands()
        codec = CODEPAGES.get(self.codepage, FALLBACK_CODEC)
        if self.line_style is None:
            self.line_style = (self.width, self.height, self.bold, self.align, self.codepage,
                               self.margin)
        else:
            w, h, bold, align, cp, margin = self.line_style
            self.line_style = (max(w, self.width), max(h, self.height), bold or self.bold,
                               align, cp, margin)
        self.line += data.decode(codec, errors="replace")

    def _ctrl(self, t: Token) -> None:
        if t.cmd == "LF":
            if self.bands and self.band_lf_pending and self.line_style is None:
                self.band_lf_pending = False  # the LF that ends an ESC * band
                return
            if not self._flush_line():
                self._emit(Feed(lines=1))
        elif t.cmd == "FF":
            self._flush_line()
        elif t.cmd == "HT":
            self._text(b"\t")
        elif t.cmd == "CAN":
            self.line, self.line_style = "", None

    def _cmd(self, t: Token) -> None:
        cmd, a = t.cmd, t.args
        if cmd == "ESC @":
            self._flush_line()
            self._reset()
            self.qr_data = None
        elif cmd == "ESC t":
            self.codepage = a[0]
        elif cmd == "ESC !":
            self.width = 2 if a[0] & 0x20 else 1
            self.height = 2 if a[0] & 0x10 else 1
            self.bold = bool(a[0] & 0x08)
        elif cmd == "GS !":
            self.width = ((a[0] >> 4) & 0x07) + 1
            self.height = (a[0] & 0x07) + 1
        elif cmd in ("ESC E", "ESC G"):
            self.bold = bool(a[0] & 1)
        elif cmd == "ESC a":
            self.align = _ALIGN.get(a[0], self.align)
        elif cmd == "GS L":
            if self.line_style is None and not self.band_lf_pending:  # at a line's start only
                self._flush_bands()  # bands already printed keep their margin
                self.margin = a[0] | a[1] << 8
        elif cmd == "ESC d":
            n = a[0]
            if self._flush_line():
                n -= 1  # printing the buffered line is itself one line feed
            if n > 0:
                self._emit(Feed(lines=n))
        elif cmd == "ESC J":
            self._flush_line()
            self._emit(Feed(dots=a[0]))
        elif cmd == "GS V":
            m = a[0]
            self._block_element(Cut(partial=m in (1, 49, 66, 98, 104),
                                    feed=a[1] if len(a) > 1 else 0))
        elif cmd == "GS v 0":
            m, xbytes, height = a
            img = _raster_to_image(t.data, xbytes, height)
            self._block_element(RasterImage(img, "GS v 0", 2 if m & 1 else 1,
                                            2 if m & 2 else 1, self.align, self.margin))
        elif cmd == "ESC *":
            m, columns = a
            self._flush_line()
            per_column = 3 if m in (32, 33) else 1
            self.bands.append(_column_band(t.data, columns, per_column))
            self.band_scale = 2 if m in (0, 32) else 1
            self.band_lf_pending = True
        elif cmd == "GS ( k":
            self._qr(a, t.data)
        elif cmd in ("GS ( L", "GS 8 L"):
            self._graphics(a, t.data)
        elif cmd in ("ESC 2", "ESC 3", "ESC -", "ESC M", "GS B", "DLE EOT", "DLE ENQ",
                     "DLE DC4", "GS a", "GS r"):
            pass  # no effect on what is decoded here
        else:
            self.job.ignored.append(cmd)

    def _qr(self, a: tuple[int, ...], data: bytes) -> None:
        if len(a) < 2 or a[0] != 49:  # cn 49 = QR; 48 = PDF417 and others are not decoded
            self.job.ignored.append("GS ( k")
            return
        fn = a[1]
        if fn == 65 and data:  # function 165: model
            self.qr_model = {49: 1, 50: 2, 51: 0}.get(data[0], 2)
        elif fn == 67 and data:  # function 167: module size
            self.qr_size = data[0]
        elif fn == 69 and data:  # function 169: error correction
            self.qr_ec = _QR_EC.get(data[0], self.qr_ec)
        elif fn == 80:  # function 180: store data (after m = '0')
            self.qr_data = data[1:]
        elif fn == 81 and self.qr_data is not None:  # function 181: print stored symbol
            self._block_element(QRCode(self.qr_data, self.qr_size, self.qr_ec, self.qr_model,
                                       self.align, self.margin))

    def _graphics(self, a: tuple[int, ...], data: bytes) -> None:
        if len(a) < 2:
            return
        fn = a[1]
        if fn == 112 and len(data) >= 8 and data[0] == 48:  # store monochrome raster
            bx, by = data[1], data[2]
            width = data[4] | data[5] << 8
            height = data[6] | data[7] << 8
            xbytes = (width + 7) // 8
            raster = data[8:8 + xbytes * height]
            if len(raster) == xbytes * height:
                self.graphics = _raster_to_image(raster, xbytes, height).crop(
                    (0, 0, width, height))
                self.graphics_scale = (bx if bx in (1, 2) else 1, by if by in (1, 2) else 1)
        elif fn == 50 and self.graphics is not None:  # print stored graphics
            sx, sy = self.graphics_scale
            self._block_element(RasterImage(self.graphics, "GS ( L", sx, sy, self.align,
                                            self.margin))
            self.graphics = None

    def finish(self) -> DecodedJob:
        self._flush_line()
        self._flush_bands()
        return self.job


def decode_job(data: bytes) -> DecodedJob:
    """Decode ESC/POS bytes into ordered elements (text lines, images, QR codes, cuts)."""
    dec = _Decoder()
    for tok in iter_tokens(bytes(data)):
        dec.token(tok)
    return dec.finish()
