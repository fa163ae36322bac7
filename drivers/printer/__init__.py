"""ESC/POS ticket printer driver: status vocabulary, job composition, decoding, transports.

The names below load their module on first use (PEP 562 `__getattr__`): the status
vocabulary is light, while composing and drawing jobs loads python-escpos, Pillow and
qrcode, which the kiosk does not need before its first frame (docs/architecture.md,
"Start-up").
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Each public name and the submodule that defines it.
_WHERE = {
    "DecodedJob": "decode", "decode_job": "decode",
    "Token": "escpos_stream", "Tokenizer": "escpos_stream", "tokenize": "escpos_stream",
    "TicketJob": "job",
    "render_job_png": "render", "save_job_png": "render",
    "CoverOpen": "states", "DeviceNotReady": "states", "DeviceState": "states",
    "PaperOut": "states", "PaperState": "states", "PrinterError": "states",
    "PrinterStatus": "states", "PrinterTimeout": "states", "Unsupported": "states",
    "is_status_reply": "status", "parse_status": "status", "pick_status_byte": "status",
    "PrinterUrl": "transports", "parse_printer_url": "transports",
    "TicketPrinter": "ticket_printer", "open_printer": "ticket_printer",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # looked up once
    return value


if TYPE_CHECKING:
    from .decode import DecodedJob, decode_job
    from .escpos_stream import Token, Tokenizer, tokenize
    from .job import TicketJob
    from .render import render_job_png, save_job_png
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
    from .ticket_printer import TicketPrinter, open_printer
    from .transports import PrinterUrl, parse_printer_url

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
