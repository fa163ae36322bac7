"""One kiosk of tests/test_centre_chaos.py, in a process of its own so that the test can
kill it with SIGKILL: the real TicketService through the real CentreLink (its config's
[centre_link], enrolled beforehand), printing on a simulated printer.

Each number is written to RECORD, with fsync, the moment the citizen sees it (before it
prints): the citizen's view, which the test holds the centre to. Started again after a
kill, it goes on until RECORD holds COUNT numbers, then waits (bounded) until its outbox
has reached the centre, prints "done" and exits 0.

    python tests/chaos_kiosk.py CONFIG RECORD COUNT SEED
"""

from __future__ import annotations

import json
import os
import random
import sys
import threading
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

from drivers.sim import SimPrinter
from kiosk.centre_link import ONLINE, NoNumberLeft, link_from_config
from kiosk.config import load_config
from kiosk.tickets import IssuedTicket, TicketService, open_ticket_store

DRAIN_BOUND = 60.0  # seconds the outbox may take to reach the centre at the end
SERVICES = "AB"


def read_given(record: Path) -> list[dict]:
    """The numbers written to `record`: its complete JSON lines (a kill may cut the last
    one short; that citizen's number was not fully written down, so it does not count)."""
    if not record.exists():
        return []
    given = []
    for line in record.read_bytes().split(b"\n")[:-1]:
        try:
            given.append(json.loads(line))
        except ValueError:
            continue
    return given


def run(config_path: Path, record: Path, count: int, seed: int) -> int:
    rng = random.Random(seed)
    with SimPrinter() as printer:
        cfg = replace(load_config(config_path), printer_url=printer.url)
        tz = ZoneInfo(cfg.timezone)
        store = open_ticket_store(cfg)
        link = link_from_config(cfg, store.engine)
        assert link is not None, "the config names no centre"
        service = TicketService(cfg, store, link=link)
        link.start()
        # A kill may have left a last line without its end: it is ended, and skipped.
        fd = os.open(record, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        if record.stat().st_size and not record.read_bytes().endswith(b"\n"):
            os.write(fd, b"\n")

        def shown(ticket: IssuedTicket) -> None:
            line = json.dumps({"id": ticket.id, "number": ticket.number,
                               "service": ticket.service,
                               "day": ticket.issued_at.astimezone(tz).date().isoformat(),
                               "seq": int(ticket.number[1:]),
                               "from_lease": ticket.from_lease})
            os.write(fd, line.encode() + b"\n")
            os.fsync(fd)

        pause = threading.Event()  # never set: waits below are the citizens' pace
        for n in range(len(read_given(record)), count):
            while True:
                try:
                    service.issue_ticket(SERVICES[n % len(SERVICES)], "vi", on_number=shown)
                    break
                except NoNumberLeft:  # the centre down and the leases used up: try again
                    pause.wait(0.2)
            pause.wait(rng.uniform(0.1, 0.5))  # the next citizen walks up
        os.close(fd)
        drained = link.wait_synced(
            lambda: link.links.outbox_size() == 0 and link.state.kind == ONLINE, DRAIN_BOUND)
        for thread in threading.enumerate():  # printing outcomes on their way to the centre
            if thread.name == "centre-outcome":
                thread.join(DRAIN_BOUND)
        link.stop()
    print("done" if drained else "outbox not drained", flush=True)
    return 0 if drained else 1


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    sys.exit(run(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])))
