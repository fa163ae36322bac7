"""The [devices] table of the kiosk's config: the printer, scanners, ID-card readers,
microphone and speaker, each URL checked by its own driver's parser (kiosk/config.py reads
the rest). A driver is imported only when its device is set: the ID-card driver brings
`cryptography`, the scanner's its serial code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kiosk.config_checks import Checker

if TYPE_CHECKING:
    from drivers.printer import PrinterUrl

# [devices] speaker when the config names none: the default sound output (drivers/audio).
DEFAULT_SPEAKER = "sounddevice://"


def devices_settings(c: Checker, devices: dict[str, Any]) -> dict[str, Any]:
    """The [devices] table, checked, as Config fields."""
    printer = devices.get("printer")
    if not isinstance(printer, str) or "://" not in printer:
        raise c.fail("devices.printer", "expected a device URL like tcp://10.0.0.5:9100", printer)
    from drivers.printer import PrinterError

    try:
        parse_kiosk_printer_url(printer)
    except (ValueError, PrinterError) as exc:
        raise c.fail("devices.printer", str(exc)) from None
    width = devices.get("paper_width", 576)
    if width not in (384, 576) or isinstance(width, bool):
        raise c.fail("devices.paper_width", "expected 576 (80 mm paper) or 384 (58 mm)", width)

    profile = devices.get("printer_profile", "TM-T20II")
    from drivers.printer.profiles import check_profile

    try:
        if not isinstance(profile, str) or not profile:
            raise ValueError
        check_profile(profile)
    except ValueError:
        raise c.fail("devices.printer_profile",
                     "expected a python-escpos printer profile name such as TM-T20II",
                     profile) from None
    tcvn3 = devices.get("printer_tcvn3", False)
    if not isinstance(tcvn3, bool):
        raise c.fail("devices.printer_tcvn3", "expected true or false", tcvn3)
    strips = devices.get("printer_raster_strips", True)
    if not isinstance(strips, bool):
        raise c.fail("devices.printer_raster_strips", "expected true or false", strips)

    scanner = _optional_url(c, devices, "scanner", "a scanner URL",
                            "drivers.scanner", "parse_scanner_url")
    scanner_trigger = _scanner_trigger(c, devices, scanner)
    mrz_reader = _optional_url(c, devices, "mrz_reader", "an MRZ reader URL",
                               "drivers.idcard", "parse_reader_url")

    microphone = _optional_url(c, devices, "microphone", "a microphone URL",
                               "drivers.audio.capture", "parse_source_url")
    speaker = _speaker_url(c, devices)

    chip_reader = devices.get("chip_reader", "")
    if not isinstance(chip_reader, str):
        raise c.fail("devices.chip_reader", "expected a PC/SC reader name, \"*\" or \"\"",
                     chip_reader)
    return {"printer_url": printer, "paper_width": int(width), "printer_profile": profile,
            "printer_tcvn3": tcvn3, "printer_raster_strips": strips, "scanner_url": scanner,
            "scanner_trigger": scanner_trigger, "mrz_reader_url": mrz_reader,
            "chip_reader": chip_reader, "microphone_url": microphone, "speaker_url": speaker}


def _optional_url(c: Checker, devices: dict[str, Any], key: str, what: str, module: str,
                  parser: str) -> str:
    """A device URL that may be empty (no such device), checked by its driver's parser
    (imported only when the key is set: the ID-card driver brings `cryptography`)."""
    value = devices.get(key, "")
    if not isinstance(value, str):
        raise c.fail(f"devices.{key}", f"expected {what} or \"\" for none", value)
    if value:
        import importlib

        try:
            getattr(importlib.import_module(module), parser)(value)
        except ValueError as exc:
            raise c.fail(f"devices.{key}", str(exc)) from None
    return value


def _speaker_url(c: Checker, devices: dict[str, Any]) -> str:
    """Where the kiosk's voice plays: a speaker URL (drivers/audio/output.py; the driver is
    imported only to check it). "null://" plays nothing, taking the clip's time."""
    value = devices.get("speaker", DEFAULT_SPEAKER)
    if not isinstance(value, str) or not value:
        raise c.fail("devices.speaker", "expected a speaker URL like sounddevice:// or null://",
                     value)
    if value == DEFAULT_SPEAKER:  # every config has it: loading one need not import the driver
        return value
    from drivers.audio.output import parse_output_url

    try:
        parse_output_url(value)
    except ValueError as exc:
        raise c.fail("devices.speaker", str(exc)) from None
    return value


def _scanner_trigger(c: Checker, devices: dict[str, Any], scanner: str) -> str:
    """How the kiosk starts and stops the scanner reading: "" (it reads by itself),
    "honeywell" or "zebra-ssi" (host trigger commands over its serial link)."""
    value = devices.get("scanner_trigger", "")
    if value == "":
        return value
    from drivers.scanner import TRIGGERS  # only now: the scanner driver is not needed before

    if value not in TRIGGERS:
        raise c.fail("devices.scanner_trigger",
                     f"expected {' or '.join(repr(t) for t in TRIGGERS)}, or \"\" for none", value)
    if scanner.lower().startswith("evdev:"):
        raise c.fail("devices.scanner_trigger",
                     "a keyboard-wedge (evdev://) scanner cannot take a host trigger")
    return value


def parse_kiosk_printer_url(url: str) -> PrinterUrl:
    """drivers.printer.parse_printer_url, with the simulated printer's sim:// offered too:
    drivers.sim registers it, and is imported only for such a URL."""
    from drivers.printer import parse_printer_url

    if url.strip().lower().startswith("sim:"):
        import drivers.sim  # noqa: F401
    return parse_printer_url(url)
