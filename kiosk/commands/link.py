"""`kiosk enrol`: this kiosk joins a centre with the one-time code staff printed there
(`kiosk centre enrol --kind kiosk`), and keeps the token and the pinned CA in its data
folder (docs/architecture.md, Kiosks in a centre)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from kiosk.centre_link import CA_FILE, TOKEN_FILE
from kiosk.commands import EXIT_FAILED, UsageError, config_from
from kiosk.config import centre_url_problem


def write_private(path: Path, text: str) -> None:
    """`text` in `path`, readable by this user only, replaced whole (never half written)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(partial, path)


def cmd_enrol(args: argparse.Namespace) -> int:
    cfg = config_from(args)
    url = args.centre.strip().rstrip("/")
    problem = centre_url_problem(url)
    if problem:
        raise UsageError(f"--centre {args.centre!r}: {problem}")
    from kiosk.centre.pki import normalise_fingerprint

    try:
        fingerprint = normalise_fingerprint(args.fingerprint)
    except ValueError:
        raise UsageError(f"--fingerprint {args.fingerprint!r}: expected the 64 hex digits "
                         "`kiosk centre init` printed") from None
    code = args.code.strip()
    if not code or len(code) > 40 or not code.isprintable():
        raise UsageError("--code: expected the one-time code `kiosk centre enrol` printed")
    from kiosk.centre.client import CentreClient, CentreRefused, CentreUnreachable, CentreUntrusted

    try:
        with CentreClient(url, ca_fingerprint=fingerprint, retries=1) as client:
            enrolment = client.enrol(code, "kiosk", args.name)
            ca_pem = client.ca_pem
    except CentreUntrusted as exc:
        raise UsageError(f"--fingerprint: {exc}") from None
    except CentreRefused as exc:
        raise UsageError(f"--code: {exc}") from None
    except CentreUnreachable as exc:
        print(f"kiosk: {exc}; nothing was changed", file=sys.stderr)
        return EXIT_FAILED
    write_private(cfg.data_dir / TOKEN_FILE, enrolment.token + "\n")
    if ca_pem:
        write_private(cfg.data_dir / CA_FILE, ca_pem)
    print(f"enrolled as kiosk {enrolment.name!r} at {url}; the token is in "
          f"{cfg.data_dir / TOKEN_FILE}. In this kiosk's config:\n"
          f"[centre_link]\nurl = \"{url}\"\nca_fingerprint = \"{fingerprint}\"")
    return 0
