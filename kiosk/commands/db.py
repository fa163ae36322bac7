"""`kiosk db upgrade` and `kiosk db current`: the database's schema revision, and bringing
it to the newest one explicitly (a kiosk's SQLite file upgrades by itself at start; a
centre's PostgreSQL is upgraded by staff before the new version serves).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from kiosk.commands import UsageError, config_from
from kiosk.store import StoreUnavailable, sqlite_url
from kiosk.store.db import (
    SCHEMA_HEAD,
    make_engine,
    prepare_database_file,
    schema_revision,
    upgrade_database,
)

_DRIVERS = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg",
            "postgresql+psycopg": "postgresql+psycopg"}
URL_FORMS = "sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DATABASE"


def cmd_db(args: argparse.Namespace) -> int:
    engine, name = _open(args)
    try:
        with _database_errors(name):
            if args.action == "upgrade":
                before, after = upgrade_database(engine)
                _report_upgrade(name, before, after, args.json)
            else:
                _report_current(name, schema_revision(engine), args.json)
    finally:
        engine.dispose()
    return 0


def _open(args: argparse.Namespace) -> tuple[Engine, str]:
    """The engine on --url, or on the configured SQLite file; and the database's name for
    staff (never a password). Nothing is connected yet."""
    if args.url is None:
        path = config_from(args).database_path
        if args.action == "current":
            if not path.is_file():
                raise UsageError(f"database {path}: there is none yet (the kiosk makes it "
                                 "at its first start, or `kiosk db upgrade`)")
        else:
            with _database_errors(str(path)):
                prepare_database_file(path)
        return make_engine(sqlite_url(path)), str(path)
    try:
        url = make_url(args.url)
    except ArgumentError:
        raise UsageError(f"--url: not a database URL; expected {URL_FORMS}") from None
    driver = _DRIVERS.get(url.drivername)
    if driver is None:
        raise UsageError(f"--url: {url.drivername!r} is not a database the kiosk uses; "
                         f"expected {URL_FORMS}")
    url = url.set(drivername=driver)
    if driver == "sqlite":
        if not url.database:
            raise UsageError(f"--url: names no file; expected {URL_FORMS}")
        if args.action == "current" and not Path(url.database).is_file():
            raise UsageError(f"database {url.database}: there is none")
        if args.action == "upgrade":
            with _database_errors(url.database):
                prepare_database_file(Path(url.database))  # private, as the kiosk's own
        name = url.database
    else:
        name = url.render_as_string(hide_password=True)
    return make_engine(url.render_as_string(hide_password=False)), name


@contextmanager
def _database_errors(name: str) -> Iterator[None]:
    """A database that cannot be reached, read or upgraded: one line naming it, exit 2."""
    try:
        yield
    except StoreUnavailable as exc:
        raise UsageError(str(exc)) from None
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        raise UsageError(f"database {name}: {reason[0] if reason else type(exc).__name__}"
                         ) from None


def _describe(revision: str | None) -> str:
    return revision or "none"


def _report_upgrade(name: str, before: str | None, after: str, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"database": name, "from": before, "to": after,
                          "upgraded": before != after}))
    elif before == after:
        print(f"database {name}: at {after}, the newest; nothing to do")
    else:
        print(f"database {name}: {_describe(before)} → {after}")


def _report_current(name: str, revision: str | None, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"database": name, "revision": revision,
                          "newest": SCHEMA_HEAD, "current": revision == SCHEMA_HEAD}))
    elif revision == SCHEMA_HEAD:
        print(f"{revision} (newest)")
    elif revision is None:
        print(f"none: made before migrations, or empty (newest: {SCHEMA_HEAD}); "
              "`kiosk db upgrade` brings it up to date")
    else:
        print(f"{revision} (newest: {SCHEMA_HEAD}); `kiosk db upgrade` brings it up to date")
