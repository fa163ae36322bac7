"""A typed console for the simulators: a developer changes the simulated printer (and scanner)
at run time by typing a line, while the kiosk or `kiosk sim printer` runs."""

from __future__ import annotations

import sys
import threading

from drivers.sim import FAULTS, SAMPLE_CCCD, SimPrinter, SimScanner

SIM_COMMANDS = "a fault name, ok, unplug, replug or jobs"


def control_from_stdin(printer: SimPrinter, scanner: SimScanner | None = None) -> None:
    """Reads standard input on a daemon thread: a fault (paper-out ...), "ok" to clear it,
    "unplug", "replug", or "jobs"; and, with a simulated scanner, "scan TEXT" or "scan-id"
    (a made-up citizen's ID card QR)."""

    def read() -> None:
        for line in sys.stdin:
            word = line.strip()
            if word:
                _obey(word, printer, scanner)

    threading.Thread(target=read, name="sim-printer-control", daemon=True).start()


def _obey(word: str, printer: SimPrinter, scanner: SimScanner | None) -> None:
    if scanner is not None and (word == "scan-id" or word.startswith("scan ")):
        text = SAMPLE_CCCD if word == "scan-id" else word[5:]
        scanner.scan(text.encode("utf-8"))
        print("simulated scanner: scanned", flush=True)
        return
    if word in FAULTS:
        printer.set_fault(word)
    elif word in ("ok", "none"):
        printer.set_fault(None)
    elif word == "unplug":
        printer.unplug()
    elif word == "replug":
        printer.replug()
    elif word == "jobs":
        print(f"{len(printer.jobs)} jobs printed", flush=True)
        return
    else:
        print(f"unknown command {word!r}; expected {SIM_COMMANDS}", flush=True)
        return
    print(f"simulated printer: {word}", flush=True)
