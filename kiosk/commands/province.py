"""`kiosk centre receiver`: the reference receiver of the centre's events, for tests and
for a province with no endpoint of its own yet (docs/architecture.md, Events to the
province)."""

from __future__ import annotations

import argparse
import sqlite3
import sys

from kiosk.commands import EXIT_FAILED, UsageError, setup_logging


def parse_listen(text: str) -> tuple[str, int]:
    """HOST:PORT (IPv6 in brackets: [::1]:8080); UsageError otherwise."""
    host, sep, port = text.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or not port.isascii() or not port.isdigit() or int(port) > 65535:
        raise UsageError(f"--listen {text!r}: expected HOST:PORT, e.g. 127.0.0.1:8090")
    return host, int(port)


def cmd_receiver(args: argparse.Namespace) -> int:
    import uvicorn

    from kiosk.centre.receiver import Receiver, listening_socket, make_receiver_app

    host, port = parse_listen(args.listen)
    if not args.data.parent.is_dir():
        raise UsageError(f"--data {args.data}: its folder does not exist")
    try:
        receiver = Receiver(args.data, token=args.token or "")
    except sqlite3.Error as exc:
        raise UsageError(f"--data {args.data}: not a usable SQLite file ({exc})") from None
    try:
        listener = listening_socket(host, port)
    except OSError as exc:
        receiver.close()
        print(f"kiosk: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILED
    setup_logging()
    port = listener.getsockname()[1]  # the one chosen for port 0
    print(f"province receiver: POST http://{host}:{port}/events, kept in {args.data}",
          flush=True)
    server = uvicorn.Server(uvicorn.Config(make_receiver_app(receiver), log_level="warning"))
    try:
        server.run(sockets=[listener])
    finally:
        receiver.close()
    return 0
