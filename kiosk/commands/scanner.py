"""`kiosk decode` and `kiosk scan`: what a scanned payload is, for staff setting up scanners."""

from __future__ import annotations

import argparse
import sys

from kiosk.commands import EXIT_FAILED, UsageError
from kiosk.scan_report import describe_scan, print_scan
from kiosk.scans import MAX_PAYLOAD


def cmd_decode(args: argparse.Namespace) -> int:
    data = sys.stdin.buffer.read(MAX_PAYLOAD * 4 + 1)
    if data.endswith(b"\n"):  # a pasted line or `echo` adds one; scanners' own end is CR/LF
        data = data.rstrip(b"\r\n")
    if not data:
        raise UsageError("nothing on standard input; pipe one scanned payload in")
    print_scan(describe_scan(data, None, args.reveal), args.json)
    return 0


def cmd_scan(args: argparse.Namespace) -> int:
    # Imported here, not above: `kiosk decode` needs no serial driver and starts faster without.
    from drivers.scanner import Dropped, open_scanner

    if args.count < 0:
        raise UsageError(f"--count {args.count}: expected 0 (no limit) or more")
    try:
        scanner = open_scanner(args.port)
    except ValueError as exc:
        raise UsageError(f"--port {args.port!r}: {exc}") from None
    except Exception as exc:  # noqa: BLE001  (typed driver errors: missing extra, ...)
        print(f"kiosk: cannot open scanner {args.port}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    seen = 0
    with scanner:
        status = scanner.status()
        print(f"scanner {scanner.description}: {status.state.name} {status.detail}".rstrip(),
              file=sys.stderr, flush=True)
        try:
            while not args.count or seen < args.count:
                event = scanner.scans.get()
                if isinstance(event, Dropped):
                    print(f"dropped  {event.length:5d} bytes: {event.reason}", file=sys.stderr,
                          flush=True)
                    continue
                print_scan(describe_scan(event.payload, event.symbology, args.reveal),
                           args.json)
                seen += 1
        except KeyboardInterrupt:
            pass
    return 0
