"""ESC/POS ticket printer driver: status vocabulary, job composition, decoding, transports.

The status vocabulary, the byte tokenizer and printer URLs load with the package. Composing,
drawing and decoding jobs (and so opening a printer) load python-escpos, Pillow and qrcode,
which the kiosk does not need before its first frame (docs/architecture.md, "Start-up"):
those names load their module on first use (PEP 562 `__getattr__`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .escpos_stream import Token, Tokenizer, tokenize
from .states import (
    CoverOpen,
    DeviceNotReady,
    DeviceState,
    PaperOut,
    PaperState,
    PrinterError,
    PrinterStatus,
    PrinterTimeout,
    Unsupported,
)
from .status import is_status_reply, parse_status, pick_status_byte
from .transports import PrinterUrl, parse_printer_url

if TYPE_CHECKING:
    from .decode import DecodedJob, decode_job
    from .job import TicketJob
    from .render import render_job_png, save_job_png
    from .ticket_printer import TicketPrinter, open_printer

# The heavy names, each with the submodule that defines it.
_LOADED_ON_USE = {
    "DecodedJob": "decode", "decode_job": "decode", "TicketJob": "job",
    "render_job_png": "render", "save_job_png": "render",
    "TicketPrinter": "ticket_printer", "open_printer": "ticket_printer",
}


def __getattr__(name: str) -> Any:
    module = _LOADED_ON_USE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # looked up once
    return value


__all__ = [
    "CoverOpen",
    "DecodedJob",
    "DeviceNotReady",
    "DeviceState",
    "PaperOut",
    "PaperState",
    "PrinterError",
    "PrinterStatus",
    "PrinterTimeout",
    "PrinterUrl",
    "TicketJob",
    "TicketPrinter",
    "Token",
    "Tokenizer",
    "Unsupported",
    "decode_job",
    "is_status_reply",
    "open_printer",
    "parse_printer_url",
    "parse_status",
    "pick_status_byte",
    "render_job_png",
    "save_job_png",
    "tokenize",
]
