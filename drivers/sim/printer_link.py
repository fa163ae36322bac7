"""``sim://?fault=paper-low&jobs_dir=/tmp/jobs&render_png=1``: a printer transport to an
in-process SimPrinter on 127.0.0.1, reachable as ``printer.simulator``.

drivers.sim registers the scheme when it is imported, so the real driver never imports its
simulator: whoever offers sim:// (the kiosk's config loading, the CLI) imports drivers.sim.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import SplitResult

from drivers.printer.states import DeviceNotReady
from drivers.printer.transports import PrinterUrl, Scheme, Transport, register
from drivers.printer.transports.base import WHAT
from drivers.printer.transports.tcp import TcpTransport
from drivers.serial_url import parse_bool

from .printer import SimPrinter
from .printer_replies import FAULTS

SIM_PARAMS = ("fault", "jobs_dir", "render_png")


class SimTransport(TcpTransport):
    """TCP to an in-process SimPrinter that this transport owns (``sim://``)."""

    def __init__(self, sim: SimPrinter) -> None:
        super().__init__(sim.host, sim.port)
        self.simulator = sim
        self.description = f"sim://{sim.host}:{sim.port}"

    def connect(self, timeout: float) -> None:
        if not self.simulator.running:  # released by TicketPrinter.close(): start again
            self.simulator.start()
        self.host, self.port = self.simulator.host, self.simulator.port
        super().connect(timeout)

    def transfer_time(self, nbytes: int) -> float:
        baud = self.simulator.baudrate
        return nbytes * 10 / baud if baud else 0.0

    def release(self) -> None:
        self.close()
        self.simulator.stop()  # its threads and socket; jobs and fault stay for inspection


def parse(parts: SplitResult, params: dict[str, str], url: str) -> PrinterUrl:
    if parts.netloc or parts.path not in ("", "/"):
        raise ValueError(f"sim printer URL {url!r} takes no host or path: sim://?fault=...")
    options: dict[str, Any] = {}
    if "fault" in params:
        if params["fault"] not in FAULTS or not params["fault"]:
            raise ValueError(f"fault={params['fault']!r} in {WHAT} {url!r}: expected one "
                             f"of {', '.join(f for f in FAULTS if f)}")
        options["fault"] = params["fault"]
    if "jobs_dir" in params:
        if not params["jobs_dir"].strip() or "\x00" in params["jobs_dir"]:
            raise ValueError(f"jobs_dir in {WHAT} {url!r} is empty")
        options["jobs_dir"] = params["jobs_dir"]
    if "render_png" in params:
        options["render_png"] = parse_bool(params["render_png"], "render_png", url, WHAT)
    return PrinterUrl("sim", "", 0, "", params, url, target="", options=options)


def open_transport(u: PrinterUrl, profile: object) -> Transport:
    jobs_dir = u.options.get("jobs_dir")
    sim = SimPrinter("127.0.0.1", 0, jobs_dir=os.path.expanduser(jobs_dir) if jobs_dir else None,
                     render_png=bool(u.options.get("render_png")), width_dots=u.width_dots)
    if u.options.get("fault"):
        sim.set_fault(u.options["fault"])
    try:
        sim.start()
    except OSError as e:
        raise DeviceNotReady(f"sim://: cannot start the simulated printer ({e})") from None
    return SimTransport(sim)


def register_sim_scheme() -> None:
    register("sim", Scheme(SIM_PARAMS, parse, open_transport))
