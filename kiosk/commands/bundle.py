"""`kiosk bundle keygen|build|sign|verify|apply|rollback|fetch|status` and `kiosk launch`
(docs/architecture.md, Updates).

A refused bundle is one line, `kiosk bundle: refused (<reason>): <why>`, and exit code 2.
Only argparse is imported at the top: kiosk/cli_parsers.py builds these parsers when
`kiosk bundle` or `kiosk launch` runs, or for `kiosk --help`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kiosk.commands import EXIT_USAGE, UsageError, config_from

KINDS = ("app", "content")


def add_bundle_parser(sub: argparse._SubParsersAction, common: Any, parser_class: Any) -> None:
    """The parser of `kiosk bundle …` (`common` adds --config and --data-dir)."""
    p = sub.add_parser("bundle", help="signed updates: make, check, install, roll back")
    common(p)
    bundle = p.add_subparsers(dest="bundle_action", required=True, parser_class=parser_class)
    bp = bundle.add_parser("keygen", help="a new Ed25519 signing key (keep it offline)")
    bp.add_argument("--out", type=Path, required=True, metavar="KEYFILE",
                    help="where to write the private key (PEM, 0600; never overwritten)")
    bp = bundle.add_parser("build", help="a bundle from a folder, signed when --key is given")
    bp.add_argument("--kind", required=True, choices=KINDS)
    bp.add_argument("--version", required=True, help="its version, e.g. 1.2.0")
    bp.add_argument("--min-version", required=True,
                    help="the oldest installed version it may replace, e.g. 1.0.0")
    bp.add_argument("--expires", required=True, metavar="DAYS|ISO",
                    help="days from now, or a date/time like 2027-06-01T00:00:00Z")
    bp.add_argument("--from", dest="source", type=Path, required=True, metavar="DIR",
                    help="content: procedures.toml, audio/, locales/; app: wheels/ "
                         "(assets/, locales/)")
    bp.add_argument("--out", type=Path, required=True, metavar="FILE.kbundle")
    bp.add_argument("--key", type=Path, action="append", default=[], metavar="KEYFILE",
                    help="sign with this key (repeatable)")
    bp = bundle.add_parser("sign", help="add a signature to a bundle (another key)")
    bp.add_argument("file", type=Path)
    bp.add_argument("--key", type=Path, required=True, metavar="KEYFILE")
    bp = bundle.add_parser("verify", help="check a bundle against this kiosk; change nothing")
    bp.add_argument("file", type=Path)
    bp.add_argument("--kind", choices=KINDS)
    bp = bundle.add_parser("apply", help="check and install a bundle, then switch to it")
    bp.add_argument("file", type=Path)
    bp.add_argument("--kind", choices=KINDS)
    bp.add_argument("--allow-downgrade", action="store_true",
                    help="accept a version older than the installed one")
    bp = bundle.add_parser("rollback", help="go back to the previous version")
    bp.add_argument("--kind", required=True, choices=KINDS)
    bp = bundle.add_parser("fetch", help="copy or download the newest bundle offered (server, "
                                         "USB sticks) into <updates_dir>/downloads/")
    # As kiosk.bundles.fetch_cli.add_fetch_arguments, not imported here: it loads httpx,
    # which every other command would then wait for.
    bp.add_argument("--from", dest="source", metavar="URL|DIR",
                    help="an update server's base URL, or a folder or .kbundle file")
    bp.add_argument("--kind", choices=KINDS, help="only bundles of this kind")
    bp = bundle.add_parser("status", help="installed versions, trial, history")
    bp.add_argument("--json", action="store_true", help="as JSON")
    for bp in bundle.choices.values():
        common(bp)


def add_launch_parser(sub: argparse._SubParsersAction, common: Any) -> None:
    """The parser of `kiosk launch` (`common` adds --config and --data-dir)."""
    p = sub.add_parser("launch", help="run the kiosk under the launcher: the installed app "
                                      "version, its trial, restarts (`-- ARGS` for kiosk run)")
    common(p)
    p.add_argument("kiosk_args", nargs=argparse.REMAINDER,
                   help="after --: arguments for `kiosk run`")


def _expires(text: str) -> datetime:
    try:
        if text.isascii() and text.isdigit():
            return datetime.now(UTC) + timedelta(days=int(text))
        when = datetime.fromisoformat(text)
        return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        raise UsageError(f"--expires {text!r}: expected a number of days or a date like "
                         "2027-06-01") from None


def _private_key(path: Path) -> Any:
    from kiosk.bundles.manifest import load_private_key

    try:
        return load_private_key(path.read_bytes())
    except OSError as exc:
        raise UsageError(f"--key {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise UsageError(f"--key {path}: {exc}") from None


def _keygen(args: argparse.Namespace) -> int:
    from kiosk.bundles.manifest import keyid, new_private_key_pem, parse_public_key

    pem, public = new_private_key_pem()
    try:
        fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise UsageError(f"--out {args.out}: exists; a key is never overwritten") from None
    except OSError as exc:
        raise UsageError(f"--out {args.out}: {exc.strerror}") from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    print(public)
    print(f"keyid {keyid(parse_public_key(public))}; add the line above to [updates] "
          "trusted_keys", file=sys.stderr)
    return 0


def _build(args: argparse.Namespace) -> int:
    from kiosk.bundles.build import build_bundle

    keys = [_private_key(path) for path in args.key]
    try:
        manifest = build_bundle(args.source, args.out, args.kind, args.version,
                                args.min_version, _expires(args.expires), keys)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"{exc.filename}: {exc.strerror}") from None
    print(f"built {args.out}: {manifest.kind} {manifest.version}, {len(manifest.files)} "
          f"files, {manifest.total_size} bytes, {len(keys)} signature(s)")
    return 0


def _sign(args: argparse.Namespace) -> int:
    from kiosk.bundles.build import add_signature

    key = _private_key(args.key)
    try:
        added = add_signature(args.file, key)
    except ValueError as exc:
        raise UsageError(f"{args.file}: {exc}") from None
    print(f"{args.file}: " + ("signature added" if added else "already signed by this key"))
    return 0


def _describe(manifest: Any) -> str:
    return (f"{manifest.kind} {manifest.version} ({len(manifest.files)} files, "
            f"{manifest.total_size} bytes, expires {manifest.expires:%Y-%m-%d})")


def _status(installer: Any, as_json: bool) -> int:
    status = installer.status()
    if as_json:
        print(json.dumps(status, ensure_ascii=False, indent=2))
        return 0
    for kind in KINDS:
        s = status[kind]
        base = f"base {s['base']}" if kind == "app" else "shipped"
        line = f"{kind}: {s['current'] or base}"
        if s["previous"]:
            line += f" (previous {s['previous']})"
        if s["trial"]:
            line += f", on trial: {s['trial'].get('starts', 0)} start(s)"
        print(line)
        for entry in s["history"][-3:]:
            detail = ", ".join(f"{k} {v}" for k, v in entry.items() if k not in ("at", "action"))
            print(f"  {entry.get('at', '?')} {entry.get('action', '?')}: {detail}")
    return 0


def cmd_bundle(args: argparse.Namespace) -> int:
    from kiosk.bundles import BundleRefused, Installer

    action = args.bundle_action
    if action == "fetch":
        from kiosk.bundles.fetch_cli import fetch_command

        return fetch_command(args)
    if action in ("keygen", "build", "sign"):
        return {"keygen": _keygen, "build": _build, "sign": _sign}[action](args)
    installer = Installer.from_config(config_from(args))
    try:
        if action == "verify":
            print("ok: " + _describe(installer.verify(args.file, args.kind)))
        elif action == "apply":
            before = {k: installer.installed_version(k) for k in KINDS}
            manifest = installer.apply(args.file, args.kind, args.allow_downgrade)
            was = before[manifest.kind] or "shipped"
            print(f"applied {_describe(manifest)}; was {was}"
                  + ("; on trial from the next start" if manifest.kind == "app" else ""))
        elif action == "rollback":
            print(f"{args.kind}: now {installer.rollback(args.kind)}")
        else:
            return _status(installer, args.json)
    except BundleRefused as exc:
        print(f"kiosk bundle: refused ({exc.reason}): {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # the updates folder cannot be made or read
        raise UsageError(f"{exc.filename}: {exc.strerror or exc}") from None
    return 0


def cmd_launch(args: argparse.Namespace) -> int:
    from kiosk.bundles.launcher import Launcher
    from kiosk.commands import setup_logging

    extra = list(args.kiosk_args)
    if extra[:1] == ["--"]:
        extra = extra[1:]
    cfg = config_from(args)
    # `kiosk run` gets the same settings file and data folder.
    run_args = []
    if getattr(args, "config", None) is not None:
        run_args += ["--config", str(args.config)]
    if getattr(args, "data_dir", None) is not None:
        run_args += ["--data-dir", str(args.data_dir)]
    setup_logging()
    return Launcher.from_config(cfg, run_args + extra).run()
