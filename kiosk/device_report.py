"""The rows of staff mode's Devices tab: each device's state in words, as plain data.

The printer's state comes from its supervisor (kiosk/devices.py), the readers' from whether
they were opened, the centre link's from the link's own state (kiosk/centre_link.py). The
name and state are translated for the staff member's language; the detail is the technical
line staff pass on to a technician (the URL, the driver's words), in English like the
command line's `kiosk doctor`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from drivers.printer import DeviceState, PaperState, PrinterStatus
from kiosk.centre_link import OFFLINE, ONLINE, SYNCING, LinkState
from kiosk.config import Config
from kiosk.devices import ChipReaderService, MrzReaderService, ScannerService, describe
from kiosk.i18n import N_, translate

PRINTER, SCANNER, MRZ_READER, CHIP_READER, CENTRE_LINK = (
    "printer", "scanner", "mrz_reader", "chip_reader", "centre_link")
NAMES = {
    PRINTER: N_("Printer"),
    SCANNER: N_("QR scanner"),
    MRZ_READER: N_("ID card reader (MRZ)"),
    CHIP_READER: N_("ID card chip reader"),
    CENTRE_LINK: N_("Centre link"),
}
NOT_CONFIGURED = N_("Not configured")
PRINTER_STATES = {
    DeviceState.OFFLINE: N_("Offline"),
    DeviceState.NODEVICE: N_("Not found"),
    DeviceState.HWERROR: N_("Error"),
    DeviceState.USERERROR: N_("Error"),
    DeviceState.BUSY: N_("Busy"),
    DeviceState.UNKNOWN: N_("Not checked yet"),
}


@dataclass(frozen=True)
class DeviceRow:
    name: str  # translated: "Printer"
    state: str  # translated: "Paper low"
    detail: str  # technical, English: the URL and the driver's words
    ok: bool  # False: the row is shown as a fault
    key: str = ""  # PRINTER, SCANNER, MRZ_READER, CHIP_READER or CENTRE_LINK


def device_rows(cfg: Config, printer_status: PrinterStatus,
                scans: Sequence[ScannerService], chip: ChipReaderService | None,
                link_state: LinkState | None, lang: str = "vi") -> list[DeviceRow]:
    """One row per device, in a fixed order. `scans`: the readers the kiosk started;
    `chip`: the chip reader if offered; `link_state`: the centre link's, None without one."""

    def row(key: str, state: str, detail: str, ok: bool, **values: object) -> DeviceRow:
        return DeviceRow(translate(lang, NAMES[key]), translate(lang, state).format(**values),
                         detail, ok, key)

    state, ok = printer_state(printer_status)
    rows = [row(PRINTER, state, f"{describe(printer_status)}; {cfg.printer_url}", ok)]
    for key, url, kind in ((SCANNER, cfg.scanner_url, ScannerService),
                           (MRZ_READER, cfg.mrz_reader_url, MrzReaderService)):
        running = any(type(s) is kind and s.url == url and s.running for s in scans)
        if not url:
            rows.append(row(key, NOT_CONFIGURED, "", True))
        elif running:
            rows.append(row(key, N_("Connected"), url, True))
        else:
            rows.append(row(key, N_("Not connected"), f"{url}: not started (see the log)",
                            False))
    if not cfg.chip_reader:
        rows.append(row(CHIP_READER, NOT_CONFIGURED, "", True))
    elif chip is None:
        rows.append(row(CHIP_READER, N_("Not available"),
                        f"{cfg.chip_reader}: needs an MRZ reader, pyscard and pcscd", False))
    else:
        rows.append(row(CHIP_READER, N_("Connected"), cfg.chip_reader, True))
    link_url = cfg.centre_link.url
    if not cfg.centre_link.enabled:
        rows.append(row(CENTRE_LINK, N_("Not used"), "", True))
    elif link_state is None or link_state.kind not in (ONLINE, SYNCING, OFFLINE):
        rows.append(row(CENTRE_LINK, N_("Not checked yet"), link_url, True))
    elif link_state.kind == OFFLINE:
        since = link_state.since
        if since is None:
            rows.append(row(CENTRE_LINK, N_("Offline"), link_url, False))
        else:
            at = since.astimezone(ZoneInfo(cfg.timezone)).strftime("%H:%M")
            rows.append(row(CENTRE_LINK, N_("Offline since {time}"),
                            f"{link_url}; {link_state.pending} tickets to send", False, time=at))
    elif link_state.kind == SYNCING:
        rows.append(row(CENTRE_LINK, N_("Sending tickets ({count} left)"), link_url, True,
                        count=link_state.pending))
    else:
        rows.append(row(CENTRE_LINK, N_("Connected"), link_url, True))
    return rows


def printer_state(status: PrinterStatus) -> tuple[str, bool]:
    """The printer's state as one message id (untranslated), and whether it can print."""
    if status.cover_open:
        return N_("Cover open"), False
    if status.paper is PaperState.OUT:
        return N_("Paper out"), False
    if status.paper is PaperState.JAMMED:
        return N_("Paper jammed"), False
    if status.state is not DeviceState.ONLINE:
        return PRINTER_STATES.get(status.state, N_("Error")), False
    if status.cutter_error:
        return N_("Cutter error"), status.can_print
    if status.paper is PaperState.LOW:
        return N_("Paper low"), status.can_print
    return N_("Ready"), status.can_print
