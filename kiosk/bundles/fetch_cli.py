"""`kiosk bundle fetch [--from URL|DIR] [--kind K]`: get the newest bundle offered into
`<updates_dir>/downloads/` and print its path; progress lines go to stderr. Without
--from: the configured update server, then the USB sticks and watched folders.
Failures: one line, exit 2 (kiosk.commands.UsageError)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kiosk.bundles.fetch import FetchError, Progress
from kiosk.bundles.manifest import KINDS
from kiosk.bundles.usb import peek_bundle
from kiosk.bundles.watcher import (
    Available,
    FetchSettings,
    fetch_available,
    newer_than_installed,
    offers_in,
    offers_on_server,
    offers_on_usb,
)
from kiosk.commands import UsageError, config_from


def add_fetch_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="source", metavar="URL|DIR",
                        help="an update server's base URL, or a folder or .kbundle file")
    parser.add_argument("--kind", choices=KINDS, help="only bundles of this kind")


def _offers(source: str | None, settings: FetchSettings) -> list[Available]:
    if source is None:
        found = offers_on_server(settings.url) if settings.url else []
        return found + (offers_on_usb(settings.usb_dirs) or [])
    if source.startswith(("http://", "https://")):
        return offers_on_server(source)
    path = Path(source)
    if path.is_file():
        kind, version = peek_bundle(path)
        return [Available(kind, version, "usb", str(path), path.stat().st_size)]
    if path.is_dir():
        return offers_in([path]) or []
    raise UsageError(f"--from {source}: not a URL (http:// or https://), a folder or a file")


def progress_printer(out=sys.stderr) -> Progress:  # type: ignore[no-untyped-def]
    """Progress as a line each tenth of the way (a staff terminal, not a progress bar)."""
    shown: dict[str, int] = {}

    def show(done: int, total: int, step: str) -> None:
        tenth = done * 10 // total if total else 0
        if shown.get(step, -1) < tenth:
            shown[step] = tenth
            print(f"{step}: {done} of {total or '?'} bytes", file=out, flush=True)

    return show


def fetch_command(args: argparse.Namespace) -> int:
    """Fetch the newest bundle of each kind (or of --kind) that the source offers."""
    settings = FetchSettings.from_config(config_from(args))
    source, kind = getattr(args, "source", None), getattr(args, "kind", None)
    if source is None and not settings.url and not settings.usb_dirs:
        raise UsageError("nothing to fetch from: give --from URL|DIR or set [updates] url")
    try:
        offers = [o for o in _offers(source, settings) if kind in (None, o.kind)]
        newest: dict[str, Available] = {}
        # newest first, a stick before the server for the same version
        for offer in newer_than_installed(offers, lambda _kind: None):
            newest.setdefault(offer.kind, offer)
        if not newest:
            what = f"{kind} bundle" if kind else "bundle"
            raise UsageError(f"no {what} offered by "
                             f"{source or 'the update server or the USB sticks'}")
        for offer in newest.values():
            print(f"{offer.kind} {offer.version} from {offer.location}", file=sys.stderr)
            path = fetch_available(offer, settings, progress_printer())
            print(path, flush=True)
    except FetchError as exc:
        raise UsageError(str(exc)) from None
    return 0


def main(argv: list[str] | None = None) -> int:
    """For running it before the integrator wires it into kiosk/cli.py."""
    from kiosk.cli import OneLineParser
    from kiosk.commands import EXIT_USAGE
    from kiosk.config import ConfigError

    parser = OneLineParser(prog="kiosk bundle fetch")
    parser.add_argument("--config", type=Path)
    parser.add_argument("--data-dir", type=Path)
    add_fetch_arguments(parser)
    try:
        return fetch_command(parser.parse_args(argv))
    except (UsageError, ConfigError) as exc:
        print(f"kiosk: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
