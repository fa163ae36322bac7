"""Render a decoded ESC/POS job as the paper would look: a white page, black = printed.

Used by tests (round trips), by the simulator's job viewer, and to eyeball tickets without a
printer.
"""

from __future__ import annotations

import os
from pathlib import Path

import qrcode
import qrcode.constants
from PIL import Image, ImageDraw, ImageFont

from .decode import (
    Cut,
    Feed,
    QRCode,
    RasterImage,
    TextLine,
    decode_job,
    placed_x,
)

LINE_DOTS = 30  # default line spacing (1/6 inch at 180 dpi) used when rendering feeds
# Rendering limits, so a hostile job cannot make the renderer allocate gigabytes.
MAX_RENDER_HEIGHT = 20000  # dots, about 2.5 m of paper
MAX_RENDER_CHARS = 256  # per text line; no paper is wider

_QR_EC_LIB = {
    "L": qrcode.constants.ERROR_CORRECT_L, "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q, "H": qrcode.constants.ERROR_CORRECT_H,
}


def _font(size: int = 24) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: fixed bitmap font
        return ImageFont.load_default()


def _render_text(line: TextLine) -> Image.Image:
    font = _font()
    text = line.text[:MAX_RENDER_CHARS].replace("\t", "    ")
    base_w = max(1, int(font.getlength(text)) + 2) if text else 1
    img = Image.new("L", (base_w, LINE_DOTS), 255)
    ImageDraw.Draw(img).text((0, 2), text, fill=0, font=font,
                             stroke_width=1 if line.bold else 0, stroke_fill=0)
    if line.width_mult > 1 or line.height_mult > 1:
        img = img.resize((base_w * line.width_mult, LINE_DOTS * line.height_mult),
                         Image.Resampling.NEAREST)
    return img


def _render_qr(el: QRCode) -> Image.Image:
    qr = qrcode.QRCode(version=None, error_correction=_QR_EC_LIB.get(el.ec, 1),
                       box_size=min(max(1, el.module_size), 16), border=4)
    try:
        qr.add_data(el.payload)
        qr.make(fit=True)
    except Exception:  # hostile/oversized payload: show a marker rather than crash
        return _render_text(TextLine(f"[QR not renderable: {len(el.payload)} bytes]"))
    return qr.make_image().get_image().convert("L")


def render_job_png(data: bytes, width_dots: int = 576) -> Image.Image:
    """Draw the decoded job on a white page ``width_dots`` wide (mode "L", black = printed)."""
    # image or blank height, alignment, left margin (GS L)
    blocks: list[tuple[Image.Image | int, str, int]] = []
    total = 0
    for el in decode_job(data).elements:
        if isinstance(el, TextLine):
            blocks.append((_render_text(el), el.align, el.margin))
        elif isinstance(el, RasterImage):
            img = el.image  # crop before converting/scaling: only what fits on paper
            img = img.crop((0, 0, min(img.width, width_dots // el.scale_x),
                            min(img.height, MAX_RENDER_HEIGHT // el.scale_y))).convert("L")
            if el.scale_x > 1 or el.scale_y > 1:
                img = img.resize((img.width * el.scale_x, img.height * el.scale_y),
                                 Image.Resampling.NEAREST)
            blocks.append((img, el.align, el.margin))
        elif isinstance(el, QRCode):
            blocks.append((_render_qr(el), el.align, el.margin))
        elif isinstance(el, Feed):
            blocks.append((el.lines * LINE_DOTS + el.dots, "left", 0))
        elif isinstance(el, Cut):
            blocks.append((8, "cut", 0))
        else:
            continue
        last = blocks[-1][0]
        total += last if isinstance(last, int) else last.height
        if total >= MAX_RENDER_HEIGHT:
            break
    height = min(MAX_RENDER_HEIGHT, max(1, total))
    page = Image.new("L", (width_dots, height), 255)
    draw = ImageDraw.Draw(page)
    y = 0
    for block, align, margin in blocks:
        if y >= height:
            break
        if isinstance(block, int):
            if align == "cut":
                for x in range(0, width_dots, 12):
                    draw.line([(x, y + 4), (x + 6, y + 4)], fill=0)
            y += block
            continue
        margin = max(0, min(margin, width_dots - 1))
        if block.width > width_dots - margin:  # the printer drops what falls off the paper
            block = block.crop((0, 0, width_dots - margin, block.height))
        x = placed_x(align, margin, block.width, width_dots)
        page.paste(block, (x, y))
        y += block.height
    return page


def save_job_png(data: bytes, path: Path | str, width_dots: int = 576) -> Path:
    """Render ``data`` with render_job_png() and write it to ``path`` as PNG, atomically
    (a viewer watching the folder never opens half a file)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    render_job_png(data, width_dots).save(tmp, format="PNG")
    os.replace(tmp, path)
    return path
