"""Placed rasters: an image sent as strips cropped to their ink (GS L + GS v 0) prints the
same dots as the whole image, in fewer bytes; the decoder and renderer follow GS L."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops, ImageDraw

from drivers.printer import TicketJob, decode_job, render_job_png
from drivers.printer.strips import GS_L_BYTES, SPLIT_PENALTY, plan_strips

ESC_A = 3  # ESC a n


def placed(img: Image.Image, x: int, width_dots: int) -> Image.Image:
    """`img` on a blank strip of paper `width_dots` wide, its left edge at `x`."""
    page = Image.new("1", (width_dots, img.height), 1)
    page.paste(img, (x, 0))
    return page


def same_dots(a: Image.Image, b: Image.Image) -> bool:
    return a.size == b.size and ImageChops.difference(a.convert("L"), b.convert("L")).getbbox() \
        is None


def text_like(width: int, height: int, seed: int) -> Image.Image:
    """Wide middle rows, sparse marks above and below: the shape of a line of text."""
    rng = random.Random(seed)
    img = Image.new("1", (width, height), 1)
    draw = ImageDraw.Draw(img)
    top, bottom = height // 4, height - height // 4
    draw.rectangle((0, top, width - 1, bottom - 1), fill=0)
    for _ in range(3 if top else 0):
        x = rng.randrange(width)
        draw.rectangle((x, 0, min(width - 1, x + 5), top - 1), fill=0)
        x = rng.randrange(width)
        draw.rectangle((x, bottom, min(width - 1, x + 3), height - 1), fill=0)
    return img


def test_a_line_of_text_costs_less_as_strips_and_prints_the_same_dots() -> None:
    img = text_like(400, 40, seed=3)
    whole = TicketJob().init().align("center").raster(img).to_bytes()
    strips = TicketJob().init().align("center").raster_at(img, 88).to_bytes()
    assert len(strips) < len(whole) * 0.8  # the marks rows cost their own ink only
    blocks = decode_job(strips).raster_blocks(576)
    assert len(blocks) == 1 and same_dots(blocks[0], placed(img, 88, 576))
    # and the whole image, centred by ESC a, lands on the same dots
    assert same_dots(decode_job(whole).raster_blocks(576)[0], placed(img, 88, 576))


def test_text_after_placed_strips_is_justified_as_asked_with_no_margin() -> None:
    job = (TicketJob().init().align("center").raster_at(text_like(100, 20, 1), 200)
           .text("A042\n").qr("ID-1", module_size=4))
    decoded = decode_job(job.to_bytes())
    line = decoded.text_lines[0]
    assert (line.text, line.align, line.margin) == ("A042", "center", 0)
    qr = [e for e in decoded.elements if type(e).__name__ == "QRCode"][0]
    assert (qr.align, qr.margin) == ("center", 0)
    # the printer's state is the asked-for one again: the next raster is centred whole
    assert job.alignment == "center"


def test_placed_raster_must_fit_the_paper() -> None:
    img = Image.new("1", (100, 4), 0)
    with pytest.raises(ValueError):
        TicketJob(width_dots=384).raster_at(img, 384 - 100)  # padded to 104: 4 dots over
    with pytest.raises(ValueError):
        TicketJob().raster_at(img, -1)
    with pytest.raises(ValueError):
        TicketJob().raster_at(img.convert("L"), 0)
    TicketJob(width_dots=384).raster_at(img, 384 - 104)


def test_gs_l_counts_at_the_start_of_a_line_only_and_esc_at_resets_it() -> None:
    raster = b"\x1dv0\x00\x01\x00\x01\x00\xff"  # 8 dots wide, 1 row
    decoded = decode_job(b"\x1dL\x20\x00" + raster + b"ab\x1dL\x40\x00cd\n" + raster
                         + b"\x1b@" + raster)
    margins = [getattr(e, "margin", None) for e in decoded.elements]
    assert margins == [32, 32, 32, 0]  # raster, "abcd" (GS L mid-line ignored), raster, reset
    page = render_job_png(b"\x1dL\x20\x00" + raster, width_dots=64)
    assert ImageChops.invert(page).getbbox() == (32, 0, 40, 1)


@settings(max_examples=60, deadline=None)
@given(width=st.integers(1, 200), height=st.integers(1, 60), seed=st.integers(0, 2**32 - 1),
       density=st.sampled_from([0.0, 0.02, 0.2, 0.6]), shape=st.booleans(),
       width_dots=st.sampled_from([384, 576]), align=st.sampled_from(["left", "center", "right"]),
       where=st.floats(0, 1))
def test_any_image_placed_as_strips_prints_the_same_dots_for_no_more_bytes(
        width: int, height: int, seed: int, density: float, shape: bool, width_dots: int,
        align: str, where: float) -> None:
    rng = random.Random(seed)
    img = text_like(width, height, seed) if shape else Image.new("1", (width, height), 1)
    for _ in range(int(width * height * density)):
        img.putpixel((rng.randrange(width), rng.randrange(height)), 0)
    padded = (width + 7) // 8 * 8
    x = int(where * (width_dots - padded))
    data = TicketJob(width_dots=width_dots).init().align(align).raster_at(img, x).to_bytes()
    blocks = decode_job(data).raster_blocks(width_dots)
    assert len(blocks) == 1 and same_dots(blocks[0], placed(img, x, width_dots))
    whole = TicketJob(width_dots=width_dots).init().align(align).raster(img).to_bytes()
    assert len(data) <= len(whole) + ESC_A + GS_L_BYTES + SPLIT_PENALTY
    strips = plan_strips(img, width_dots - x)
    assert [s.top for s in strips] == [0] + [s.top + s.height for s in strips[:-1]]
    assert sum(s.height for s in strips) == height
    assert all(s.width % 8 == 0 and x + s.left + s.width <= width_dots for s in strips)


_COMMANDS = st.one_of(
    st.builds(lambda n: b"\x1dL" + n.to_bytes(2, "little"), st.integers(0, 0xFFFF)),
    st.builds(lambda a: b"\x1ba" + bytes([a]), st.sampled_from([0, 1, 2, 48, 49, 50, 7])),
    st.builds(lambda w, h, d: b"\x1dv0\x00" + bytes([w, 0, h, 0]) + d * (w * h),
              st.integers(0, 80), st.integers(0, 4), st.binary(min_size=1, max_size=1)),
    st.sampled_from([b"text", b"\n", b"\x1b@", b"\x1bd\x01",
                     b"\x1d(k\x04\x001P0x\x1d(k\x03\x001Q0"]),  # a QR
    st.binary(max_size=6),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_COMMANDS, max_size=12), st.sampled_from([384, 576]))
def test_margins_never_break_decoding_or_rendering(parts: list[bytes], width_dots: int) -> None:
    data = b"".join(parts)
    decoded = decode_job(data)
    for el in decoded.elements:
        assert getattr(el, "margin", 0) >= 0
    assert all(b.width == width_dots for b in decoded.raster_blocks(width_dots))
    assert render_job_png(data, width_dots=width_dots).width == width_dots
