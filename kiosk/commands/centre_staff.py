"""`kiosk centre staff add|remove|list`: the staff who sign in at the counter pages.

The PIN is never an argument (it would stay in the shell's history and in `ps`): it is
asked twice with getpass at a terminal, or read as one line from standard input in a script.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable

from kiosk.commands import UsageError, config_from
from kiosk.config import Config
from kiosk.pins import PinRefused, check_new_pin, hash_pin
from kiosk.store.staff import StaffExists, StaffMember, StaffStore, name_key

NAME_MAX = 64


def cmd_centre_staff(args: argparse.Namespace) -> int:
    cfg = config_from(args)
    counters = parse_counters(args.counters, cfg) if getattr(args, "counters", None) else None
    run_staff_action(args, lambda: _open(args, cfg), cfg, counters,
                     removed=" (signed out everywhere)")
    return 0


def run_staff_action(args: argparse.Namespace, open_store: Callable[[], StaffStore],
                     cfg: Config, counters: tuple[int, ...] | None, removed: str = "",
                     show_counters: bool = True) -> StaffMember | str | None:
    """`add NAME`, `remove NAME` or `list [--json]` on a staff table, for `kiosk centre
    staff` and `kiosk staff` alike: the member added, the name removed, or None."""
    if args.staff_action == "add":
        name = parse_staff_name(args.name)
        pin = read_new_pin()
        try:
            member = open_store().add(name, hash_pin(pin), counters, cfg.now())
        except StaffExists:
            raise UsageError(f"a staff member named {name!r} already exists "
                             "(names are compared without case or accents)") from None
        where = f" ({_counters_label(member.counters)})" if show_counters else ""
        print(f"added {member.name}{where}")
        return member
    if args.staff_action == "remove":
        if not open_store().remove(args.name):
            raise UsageError(f"no staff member named {args.name!r}")
        print(f"removed {args.name}{removed}")
        return str(args.name)
    members = open_store().all()
    if args.json:
        print(json.dumps([{"name": m.name} | ({"counters": list(m.counters)
                                               if m.counters is not None else None}
                                              if show_counters else {}) for m in members],
                         ensure_ascii=False, indent=2))
    else:
        for m in members:
            print(f"{m.name}\t{_counters_label(m.counters)}" if show_counters else m.name)
    return None


def _open(args: argparse.Namespace, cfg: Config) -> StaffStore:
    from sqlalchemy.exc import SQLAlchemyError

    from kiosk.centre.serve import open_centre_database
    from kiosk.store import StoreUnavailable, open_database

    url = args.url or cfg.centre_database_url
    try:
        return StaffStore(open_database(url) if args.url else open_centre_database(cfg))
    except StoreUnavailable as exc:
        raise UsageError(str(exc)) from None
    except SQLAlchemyError as exc:
        raise UsageError(f"database {url}: {getattr(exc, 'orig', None) or exc}") from None


def _counters_label(counters: tuple[int, ...] | None) -> str:
    if counters is None:
        return "any counter"
    return "counters " + ", ".join(str(c) for c in counters)


def parse_staff_name(text: str) -> str:
    """The name as it will be shown, or UsageError: 1–64 printable characters."""
    name = " ".join(text.split())
    if not name or not name_key(name):
        raise UsageError("a staff name cannot be empty")
    if len(name) > NAME_MAX:
        raise UsageError(f"a staff name has at most {NAME_MAX} characters")
    if not name.isprintable():
        raise UsageError("a staff name cannot hold control characters")
    return name


def parse_counters(text: str, cfg: Config) -> tuple[int, ...]:
    """"1,2" as (1, 2): counters that serve some service in the config."""
    known = sorted({c for area in cfg.services for c in area.counters})
    counters: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not (part.isascii() and part.isdigit()):
            raise UsageError(f"--counters {text!r}: expected counter numbers like 1,2")
        if int(part) not in known:
            raise UsageError(f"--counters: counter {int(part)} serves no service in the "
                             f"config (counters: {', '.join(map(str, known))})")
        if int(part) not in counters:
            counters.append(int(part))
    return tuple(counters)


def read_new_pin() -> str:
    """The PIN: asked twice at a terminal, else the first line of standard input."""
    if sys.stdin.isatty():
        pin = getpass.getpass("PIN (4-8 digits): ")
        if getpass.getpass("PIN again: ") != pin:
            raise UsageError("the two PINs differ")
    else:
        pin = sys.stdin.readline().rstrip("\r\n")
        if not pin:
            raise UsageError("no PIN on standard input (one line of 4-8 digits)")
    try:
        check_new_pin(pin)
    except PinRefused as exc:
        raise UsageError(str(exc)) from None
    return pin
