"""Device simulators speaking the real wire protocols over real sockets, with faults."""

from .mrz_reader import SimMrzReader, encode_frame
from .printer import FAULTS, SimPrinter
from .scanner import SimScanner

__all__ = ["FAULTS", "SimMrzReader", "SimPrinter", "SimScanner", "encode_frame"]
