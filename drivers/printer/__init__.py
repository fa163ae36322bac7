"""ESC/POS ticket printer driver: status vocabulary, job composition, decoding, transports."""

from . import _escpos_compat  # noqa: F401  (first: see its docstring)
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
from .ticket_printer import PrinterUrl, TicketPrinter, open_printer, parse_printer_url

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
