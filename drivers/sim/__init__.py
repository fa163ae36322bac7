"""Device simulators speaking the real wire protocols over real sockets, with faults.

Importing this package registers the printer URL scheme ``sim://`` (drivers.sim.printer_link).
The kiosk imports it for that alone, so the scanner and MRZ reader simulators (which bring
the scanner and ID-card drivers, and ``cryptography`` with the latter) load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from .printer import SimPrinter
from .printer_link import register_sim_scheme
from .printer_replies import FAULTS
from .sample_card import SAMPLE_CCCD

register_sim_scheme()

_LAZY = {"SimMrzReader": ".mrz_reader", "encode_frame": ".mrz_reader", "SimScanner": ".scanner"}

__all__ = ["FAULTS", "SAMPLE_CCCD", "SimMrzReader", "SimPrinter", "SimScanner", "encode_frame"]


def __getattr__(name: str) -> Any:  # PEP 562: ``from drivers.sim import SimScanner`` works
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name], __name__), name)
