"""`kiosk staff add|remove|list|audit`: the staff who may open staff mode on this kiosk's
touch screen, and what they did there (kiosk/staff_mode.py).

On the kiosk's own database (the staff table of the one schema, beside its tickets). The
PIN is read as `kiosk centre staff` reads it, never as an argument. Adding and removing are
audited too, under the operating-system user who ran the command.
"""

from __future__ import annotations

import argparse
import getpass
import json
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from kiosk.commands import UsageError, config_from
from kiosk.commands.centre_staff import run_staff_action
from kiosk.config import Config
from kiosk.store.audit import AuditEntry, StaffAudit
from kiosk.store.staff import StaffMember, StaffStore


def cmd_kiosk_staff(args: argparse.Namespace) -> int:
    cfg = config_from(args)
    engines: list[Engine] = []

    def engine() -> Engine:
        if not engines:
            engines.append(_open(cfg))
        return engines[0]

    if args.staff_action == "audit":
        _print_audit(StaffAudit(engine()).recent(args.limit), cfg, args.json)
        return 0
    done = run_staff_action(args, lambda: StaffStore(engine()), cfg, None, show_counters=False)
    if done is not None:
        name = done.name if isinstance(done, StaffMember) else done
        action = "staff_add" if isinstance(done, StaffMember) else "staff_remove"
        StaffAudit(engine()).record(f"cli:{_os_user()}", action, name)
    return 0


def _open(cfg: Config) -> Engine:
    from sqlalchemy.exc import SQLAlchemyError

    from kiosk.store import StoreUnavailable, open_database_file

    try:
        return open_database_file(cfg.database_path)
    except StoreUnavailable as exc:
        raise UsageError(str(exc)) from None
    except SQLAlchemyError as exc:
        raise UsageError(f"database {cfg.database_path}: "
                         f"{getattr(exc, 'orig', None) or exc}") from None


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return "unknown"


def _print_audit(entries: list[AuditEntry], cfg: Config, as_json: bool) -> None:
    """Oldest first, so the newest line is the last one on the terminal."""
    entries = list(reversed(entries))
    if as_json:
        print(json.dumps([{"id": e.id, "at": e.at.isoformat(), "staff_name": e.staff_name,
                           "action": e.action, "detail": e.detail} for e in entries],
                         ensure_ascii=False, indent=2))
        return
    tz = ZoneInfo(cfg.timezone)
    for e in entries:
        print(f"{e.at.astimezone(tz):%Y-%m-%d %H:%M:%S}\t{e.staff_name}\t{e.action}\t{e.detail}")

