"""What staff commands report and print: device check-up and the printer test page."""

from __future__ import annotations

from datetime import datetime

from drivers.printer import PrinterStatus, TicketJob, TicketPrinter
from kiosk.config import Config
from kiosk.devices import describe
from kiosk.i18n import language_name
from kiosk.ticket_layout import TicketLayout

# Letters each language needs beyond ASCII, to see on paper that they print right.
SAMPLE_LETTERS = {
    "vi": "Ă Â Đ Ê Ô Ơ Ư ă â đ ê ô ơ ư — à ả ã á ạ ằ ẳ ẵ ắ ặ ầ ẩ ẫ ấ ậ ề ể ễ ế ệ "
          "ồ ổ ỗ ố ộ ờ ở ỡ ớ ợ ừ ử ữ ứ ự ỳ ỷ ỹ ý ỵ",
    "en": "A-Z a-z 0-9",
    "kpm": "ƀ Ƀ č Č ñ Ñ ĕ ĭ ŏ ŭ ê̆ ô̆ ơ̆ ư̆ â̆ c̆ Ơ̆ Ư̆",
}


def doctor_report(url: str, status: PrinterStatus, printer: TicketPrinter | None) -> dict:
    """One device's check-up, as shown by `kiosk doctor` (and its --json)."""
    report: dict = {
        "device": "printer",
        "url": url,
        "state": status.state.name,
        "paper": status.paper.name,
        "cover_open": status.cover_open,
        "cutter_error": status.cutter_error,
        "can_print": status.can_print,
        "detail": status.detail,
        "summary": describe(status),
    }
    if printer is not None:
        report["capabilities"] = printer.capabilities()
    return report


def test_page(config: Config, printer_url: str, job: TicketJob, now: datetime) -> bytes:
    """Every offered language's letters (drawn with the bundled font, as tickets are),
    the code pages sent as printer text, and a native QR."""
    layout = TicketLayout(job.width_dots, job.profile_name,
                          strips=config.printer_raster_strips)
    job.init().align("center")
    job.text("TEST PRINT\n", width_mult=2, height_mult=2, bold=True)
    job.text(f"{now:%d/%m/%Y %H:%M}\n")
    layout.line(job, printer_url, 22)
    job.text(f"profile {job.profile_name}, {job.width_dots} dots\n")
    job.align("left")
    for lang in config.languages:
        job.feed(1)
        layout.line(job, f"{language_name(lang)} ({lang})", 26, bold=True)
        layout.line(job, SAMPLE_LETTERS.get(lang, lang), 24)
    job.feed(1)
    if layout.strips:  # two short lines: 32 characters fit 58 mm paper
        job.text("Letters above torn apart? Set\nprinter_raster_strips = false\n")
    sample = "Tiếng Việt: Trung tâm Phục vụ hành chính công ĐẤT ĐAI"
    if job.has_tcvn3:
        # The operator compares this line with the raster above before switching on
        # devices.printer_tcvn3 in the config.
        job.text("Code pages 30/31 TCVN-3 (printer font):\n")
        job.vietnamese_text(sample + "\n")
    else:
        job.text(f"No TCVN-3 code page in profile {job.profile_name}\n")
    job.text("Code page PC437 (printer font):\n")
    # 48 characters fit a line of 80 mm paper in font A.
    job.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789\n")
    job.text("abcdefghijklmnopqrstuvwxyz !\"#$%&'()*+,-./:;<=>?@\n")
    job.feed(1)
    job.align("center")
    job.text("QR (native GS ( k): TEST-PRINT\n")
    job.qr("TEST-PRINT", module_size=6, native=True)
    job.feed(3)
    job.cut()
    return job.to_bytes()
