"""`kiosk dossier-provider`: the reference dossier provider (kiosk/dossier_ref.py) on its
own, for a demonstration or a centre whose province has no provider yet."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from kiosk.commands import EXIT_FAILED, UsageError
from kiosk.commands.printer import _host_port
from kiosk.dossier_ref import DEMO_DOSSIERS, FAULTS, DataFileError, ReferenceProvider


def cmd_dossier_provider(args: argparse.Namespace) -> int:
    host, port = _host_port(args.listen)
    if not 0 < args.slow_seconds <= 600:
        raise UsageError(f"--slow-seconds {args.slow_seconds:g}: expected more than 0, "
                         "at most 600")
    try:
        provider = ReferenceProvider(args.data if args.data else DEMO_DOSSIERS, host, port,
                                     slow_seconds=args.slow_seconds)
    except DataFileError as exc:
        raise UsageError(f"--data {exc}") from None
    try:
        provider.start()
    except OSError as exc:
        print(f"kiosk: cannot serve on {args.listen}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILED
    if args.fault:
        provider.set_fault(args.fault)
    data = args.data or "the demonstration dossiers"
    print(f"dossier provider on {provider.url} serving {data}; type {', '.join(FAULTS)} "
          "or ok to change it", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    threading.Thread(target=_control_from_stdin, args=(provider,), daemon=True,
                     name="dossier-provider-control").start()
    try:
        while not stopped.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        provider.stop()
    return 0


def _control_from_stdin(provider: ReferenceProvider) -> None:
    for line in sys.stdin:
        word = line.strip()
        if not word:
            continue
        if word in FAULTS or word in ("ok", "none"):
            provider.set_fault(None if word in ("ok", "none") else word)
            print(f"dossier provider: {provider.fault or 'ok'}", flush=True)
        else:
            print(f"dossier provider: {word!r}? type {', '.join(FAULTS)} or ok", flush=True)
