"""Device simulators speaking the real wire protocols over real sockets, with faults.

Importing this package registers the printer URL scheme ``sim://`` (drivers.sim.printer_link).
"""

from .mrz_reader import SimMrzReader, encode_frame
from .printer import SimPrinter
from .printer_link import register_sim_scheme
from .printer_replies import FAULTS
from .scanner import SimScanner

register_sim_scheme()

__all__ = ["FAULTS", "SimMrzReader", "SimPrinter", "SimScanner", "encode_frame"]
