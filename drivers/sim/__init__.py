"""Device simulators speaking the real wire protocols over real sockets, with faults."""

from .printer import FAULTS, SimPrinter
from .scanner import SimScanner

__all__ = ["FAULTS", "SimPrinter", "SimScanner"]
