"""How long a citizen waits for a dossier's status: the service against the reference
provider over loopback, healthy, refusing connections (down), and too slow (the timeout).

    .venv/bin/python benchmarks/dossier.py [--lookups N]

Each figure is the wall time of DossierStatusService.lookup, from the call to its result.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time

from kiosk.dossier import DossierStatusService, Outcome
from kiosk.dossier_ref import DEMO_DOSSIERS, ReferenceProvider

TIMEOUT = 3.0  # the shipped default ([dossier] timeout)


def timed(service: DossierStatusService, code: str, n: int, expect: Outcome,
          stale: bool) -> list[float]:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        result = service.lookup(code)
        times.append((time.perf_counter() - start) * 1000)
        assert result.outcome is expect and result.stale is stale, result
    return sorted(times)


def report(what: str, times: list[float]) -> None:
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    print(f"{what:<48} n={len(times):<5} median {statistics.median(times):8.1f} ms"
          f"   p95 {p95:8.1f} ms", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lookups", type=int, default=200)
    n = parser.parse_args().lookups
    logging.disable(logging.WARNING)  # the service's lines for staff, once per lookup
    code = DEMO_DOSSIERS[1]["code"]
    with ReferenceProvider(slow_seconds=TIMEOUT + 2) as provider:
        service = DossierStatusService(provider.url, timeout=TIMEOUT)
        report("healthy provider: a status", timed(service, code, n, Outcome.FOUND, False))
        report("unknown code: 404", timed(service, "000.00.15.H42-251231-9999", n,
                                          Outcome.UNKNOWN, False))
        provider.set_fault("down")
        report("provider down: the last answer, as of", timed(service, code, n,
                                                              Outcome.FOUND, True))
        provider.set_fault("slow")
        report(f"provider slow: the last answer after {TIMEOUT:g} s timeout",
               timed(service, code, 3, Outcome.FOUND, True))
        provider.set_fault(None)
        service.close()


if __name__ == "__main__":
    main()
