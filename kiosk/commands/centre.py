"""`kiosk centre init|enrol|revoke|terminals|serve`: the centre service, run on the centre's
own PC (docs/architecture.md, Centre)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from kiosk.commands import UsageError, config_from, database_errors
from kiosk.config import Config


def cmd_centre(args: argparse.Namespace) -> int:
    return {"init": _init, "enrol": _enrol, "revoke": _revoke, "terminals": _terminals,
            "serve": _serve}[args.action](args, config_from(args))


def shown_url(url: str) -> str:
    """A database URL fit for a message: its password hidden."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@contextmanager
def centre_database(cfg: Config) -> Iterator[None]:
    """A centre database that cannot be reached or used: one line naming it, exit 2."""
    try:
        with database_errors(shown_url(cfg.centre_database_url)):  # type: ignore[arg-type]
            yield
    except UsageError as exc:
        # PostgreSQL's messages run over several lines (a hint after the reason).
        raise UsageError(" ".join(str(exc).split())) from None


def _engine(cfg: Config) -> Engine:
    from kiosk.centre.serve import open_centre_database

    return open_centre_database(cfg)


@contextmanager
def pki_errors() -> Iterator[None]:
    """A state folder that cannot be used: one line naming it, exit 2."""
    from kiosk.centre.pki import PkiError

    try:
        yield
    except PkiError as exc:
        raise UsageError(str(exc)) from None


def _init(args: argparse.Namespace, cfg: Config) -> int:
    from kiosk.centre.pki import init_pki

    with pki_errors():
        done = init_pki(cfg.centre_state_dir, cfg.centre_service.hostnames, force=args.force)
    ca = "made a new certificate authority" if done.ca_created else "kept its certificate authority"
    print(f"Centre state in {cfg.centre_state_dir}: {ca}"
          + ("; enrol every terminal again with the new fingerprint" if args.force else ""))
    names = ", ".join(cfg.centre_service.hostnames)
    print(f"Server certificate for {names} "
          f"{'issued' if done.server_issued else 'kept'}, valid until "
          f"{done.server_expires:%Y-%m-%d}")
    print(f"CA fingerprint (SHA-256): {done.ca_fingerprint}")
    return 0


def _local(cfg: Config, moment: datetime | str | None) -> str:
    if moment is None:
        return ""
    when = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return f"{when.astimezone(ZoneInfo(cfg.timezone)):%Y-%m-%d %H:%M}"


def _enrol(args: argparse.Namespace, cfg: Config) -> int:
    from kiosk.centre.terminals import TerminalExists, Terminals, check_name

    try:
        check_name(args.name)
    except ValueError as exc:
        raise UsageError(f"--name {args.name!r}: {exc}") from None
    with centre_database(cfg):
        try:
            code, expires = Terminals(_engine(cfg)).new_code(args.kind, args.name)
        except TerminalExists as exc:
            raise UsageError(str(exc)) from None
    print(f"Enrolment code for {args.kind} {args.name!r}: {code}")
    print(f"Valid once, until {_local(cfg, expires)}.")
    ca = cfg.centre_state_dir / "ca.pem"
    if ca.is_file():
        from kiosk.centre.pki import fingerprint

        print(f"The terminal also needs the CA fingerprint: {fingerprint(ca.read_bytes())}")
    return 0


def _revoke(args: argparse.Namespace, cfg: Config) -> int:
    from kiosk.centre.terminals import Terminals, UnknownTerminal

    with centre_database(cfg):
        try:
            gone = Terminals(_engine(cfg)).revoke(args.name)
        except UnknownTerminal as exc:
            raise UsageError(str(exc)) from None
    what = "token" if gone.enrolled_at else "enrolment code"
    print(f"Revoked {gone.kind or 'terminal'} {gone.name!r}: its {what} no longer works.")
    return 0


def _terminals(args: argparse.Namespace, cfg: Config) -> int:
    from kiosk.centre.terminals import Terminals

    with centre_database(cfg):
        found = Terminals(_engine(cfg)).list()
    if args.json:
        print(json.dumps([{"name": t.name, "kind": t.kind, "state": t.state,
                           "enrolled_at": t.enrolled_at, "revoked_at": t.revoked_at,
                           "code_expires_at": t.code_expires_at} for t in found],
                         ensure_ascii=False, indent=2))
        return 0
    if not found:
        print("No terminals yet: `kiosk centre enrol --kind kiosk --name kiosk-1` makes a code.")
    for t in found:
        since = {"active": t.enrolled_at, "revoked": t.revoked_at,
                 "pending": t.code_expires_at}[t.state]
        label = "code valid until" if t.state == "pending" else "since"
        print(f"{t.name:<20} {t.kind:<8} {t.state:<8} {label} {_local(cfg, since)}")
    return 0


def _serve(args: argparse.Namespace, cfg: Config) -> int:
    from kiosk.centre.app import make_app
    from kiosk.centre.pki import server_files
    from kiosk.centre.serve import listening_socket, make_server, open_centre
    from kiosk.commands import setup_logging

    host, port = args.listen or cfg.centre_service.listen
    files = None
    if args.plain:
        print("WARNING: serving WITHOUT TLS (--plain): tokens and tickets cross the network "
              "in clear. For development on this machine only.", file=sys.stderr)
    else:
        with pki_errors():
            files = server_files(cfg.centre_state_dir)
    with centre_database(cfg):
        ctx = open_centre(cfg)
    setup_logging()
    app = make_app(ctx, ca_pem=files.ca_cert.read_text() if files else None)
    try:
        sock = listening_socket(host, port)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port} ({exc.strerror})") from None
    server = make_server(app, host, port, files)
    # uvicorn stops gracefully on SIGTERM, then raises the signal again once its own
    # handler is gone: this one takes it, so that a stop asked for exits 0.
    signal.signal(signal.SIGTERM, lambda _sig, _frame: None)
    with sock:
        server.run(sockets=[sock])
    return 0 if server.started else 1
