"""TicketJob (python-escpos Dummy) -> bytes -> decode_job / render_job_png round trips."""

from __future__ import annotations

import random

import pytest
import zxingcpp
from escpos.printer import Dummy
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from drivers.printer import TicketJob, decode_job, render_job_png
from drivers.printer.decode import Cut, QRCode, RasterImage, TextLine

URL = "https://dvc.example.vn/tra-cuu/000.00.31.H36-250701-0042"


def sample_raster(width: int = 300, height: int = 30, seed: int = 7) -> Image.Image:
    img = Image.new("1", (width, height), 255)
    draw = ImageDraw.Draw(img)
    draw.rectangle((4, 4, 120, height - 5), fill=0)
    draw.line((0, 0, width - 1, height - 1), fill=0)
    rng = random.Random(seed)
    for _ in range(200):
        img.putpixel((rng.randrange(width), rng.randrange(height)), 0)
    return img


def pixels_equal(decoded: Image.Image, original: Image.Image) -> bool:
    """Same pixels; GS v 0 pads rows to whole bytes, and the padding must be blank."""
    w, h = original.size
    if decoded.height != h or decoded.width != (w + 7) // 8 * 8:
        return False
    pad = decoded.crop((w, 0, decoded.width, h))
    return (decoded.crop((0, 0, w, h)).tobytes() == original.tobytes()
            and (pad.width == 0 or pad.getextrema() == (255, 255)))


def test_round_trip_text_raster_qr_cut() -> None:
    img = sample_raster()
    job = (TicketJob().init().align("center")
           .text("A-042\n", width_mult=3, height_mult=3, bold=True)
           .text("Ho tich - Civil status\n")
           .raster(img)
           .qr(URL, module_size=6)
           .feed(2)
           .cut())
    data = job.to_bytes()
    assert data.startswith(b"\x1b@") and data.endswith(b"\x1dV\x00")

    d = decode_job(data)
    assert d.texts == ["A-042", "Ho tich - Civil status"]
    first = d.text_lines[0]
    assert (first.width_mult, first.height_mult, first.bold, first.align) == (3, 3, True,
                                                                              "center")
    assert (d.text_lines[1].width_mult, d.text_lines[1].bold) == (1, False)
    assert len(d.images) == 1 and pixels_equal(d.images[0], img)
    assert d.qr_payloads == [URL.encode()]
    qr = next(e for e in d.elements if isinstance(e, QRCode))
    assert (qr.module_size, qr.ec) == (6, "M")
    assert d.cuts == [Cut(partial=False)]
    assert [type(e) for e in d.elements if not hasattr(e, "lines")] == [
        TextLine, TextLine, RasterImage, QRCode, Cut]
    assert d.unknown == 0 and not d.incomplete and d.ignored == []


def test_native_qr_survives_rendering_and_a_real_decoder() -> None:
    data = TicketJob().init().align("center").text("Scan me\n").qr(URL, 5).cut().to_bytes()
    page = render_job_png(data, width_dots=576)
    assert page.width == 576
    assert [r.text for r in zxingcpp.read_barcodes(page)] == [URL]


def test_image_qr_is_bigger_but_decodes_too() -> None:
    native = TicketJob().init().qr("A-042", 4).cut().to_bytes()
    image = TicketJob().init().qr("A-042", 4, native=False).cut().to_bytes()
    assert len(native) < 100 < len(image)
    assert decode_job(image).qr_payloads == [] and len(decode_job(image).images) == 1
    assert [r.text for r in zxingcpp.read_barcodes(render_job_png(image))] == ["A-042"]


def test_text_is_ascii_only() -> None:
    job = TicketJob()
    with pytest.raises(ValueError, match="ASCII"):
        job.text("Hộ tịch\n")
    with pytest.raises(ValueError, match="ASCII"):
        job.text("evil\x1dV\x00")  # control bytes could inject commands
    assert job.to_bytes() == b""


def test_raster_validation() -> None:
    job = TicketJob(width_dots=384)
    with pytest.raises(ValueError, match="1..384"):
        job.raster(Image.new("1", (385, 8), 255))
    with pytest.raises(ValueError, match="mode '1'"):
        job.raster(Image.new("L", (8, 8), 255))
    job.raster(Image.new("1", (384, 8), 255))  # full width is fine (profile width overridden)
    assert TicketJob().raster(Image.new("1", (576, 1), 0)).to_bytes().startswith(b"\x1dv0")


def test_style_commands_only_sent_when_they_change() -> None:
    data = TicketJob().init().text("a\n").text("b\n").text("c\n", 2, 2).to_bytes()
    assert data == b"\x1b@a\nb\n\x1d!\x11c\n"


def test_raster_after_unterminated_text_starts_a_new_line() -> None:
    data = TicketJob().init().text("no newline").raster(Image.new("1", (8, 1), 0)).to_bytes()
    assert b"no newline\n\x1dv0" in data
    assert decode_job(data).texts == ["no newline"]


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 80), st.integers(1, 20), st.integers(0, 2**32 - 1))
def test_raster_round_trip_any_size(width: int, height: int, seed: int) -> None:
    rng = random.Random(seed)
    img = Image.new("1", (width, height), 255)
    for _ in range(width * height // 3):
        img.putpixel((rng.randrange(width), rng.randrange(height)), 0)
    d = decode_job(TicketJob().init().raster(img).to_bytes())
    assert len(d.images) == 1 and pixels_equal(d.images[0], img)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1,
                        max_size=40).filter(lambda s: s.strip() == s and s != ""),
                min_size=1, max_size=5))
def test_text_round_trip(lines: list[str]) -> None:
    job = TicketJob().init()
    for line in lines:
        job.text(line + "\n")
    assert decode_job(job.to_bytes()).texts == lines


def test_column_and_graphics_images_decode() -> None:
    img = sample_raster(50, 30)
    for impl, source in (("bitImageColumn", "ESC *"), ("graphics", "GS ( L")):
        p = Dummy(profile="TM-T20II")
        p.image(img, impl=impl)
        d = decode_job(p.output)
        el = next(e for e in d.elements if isinstance(e, RasterImage))
        assert el.source == source
        assert el.image.crop((0, 0, 50, 30)).tobytes() == img.tobytes(), impl
        if el.image.height > 30:  # ESC * works in 24-dot bands: the rest is blank
            assert el.image.crop((0, 30, 50, el.image.height)).getextrema() == (255, 255)


def test_code_pages() -> None:
    assert decode_job(b"caf\x82\n").texts == ["café"]  # CP437 after power-on / ESC @
    assert decode_job(b"\x1bt\x10caf\xe9\n").texts == ["café"]  # ESC t 16 = CP1252
    assert decode_job(b"\x1bt\x1ex\xe9\n").text_lines[0].codepage == 30  # no codec: latin-1


def test_esc_bang_and_partial_cut() -> None:
    d = decode_job(b"\x1b!\x38big\n\x1b!\x00\x1dVB\x03")
    assert (d.text_lines[0].width_mult, d.text_lines[0].height_mult,
            d.text_lines[0].bold) == (2, 2, True)
    assert d.cuts == [Cut(partial=True, feed=3)]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_decode_and_render_never_crash(data: bytes) -> None:
    d = decode_job(data)
    assert d.incomplete in (True, False)
    page = render_job_png(data, width_dots=384)
    assert page.width == 384
