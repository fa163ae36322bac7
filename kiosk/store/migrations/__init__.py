"""Schema migrations (Alembic): env.py and versions/ here, run by kiosk.store.db when a
database is behind (docs/architecture.md, Tickets). Imported only then: Alembic takes
half a second to load, and a kiosk starting on an up-to-date database never needs it."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection

from kiosk.store.db import StoreUnavailable

FOLDER = Path(__file__).resolve().parent


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's settings without an alembic.ini: the scripts here, and the connection
    (in its open transaction) the migrations run on."""
    cfg = Config()
    cfg.set_main_option("script_location", str(FOLDER))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def run_upgrade(connection: Connection, name: str) -> None:
    """Upgrades to head inside the caller's transaction (committed or rolled back whole).
    A revision this kiosk does not know is refused with StoreUnavailable naming `name`."""
    try:
        command.upgrade(alembic_config(connection), "head")
    except CommandError as exc:
        raise StoreUnavailable(
            f"database {name}: its schema is at a revision this kiosk does not know "
            f"(made by a newer version, or not a kiosk database): {exc}") from None


def run_downgrade(connection: Connection, revision: str) -> None:
    """For tests and for going back to an older kiosk: down to `revision` ("base": empty)."""
    command.downgrade(alembic_config(connection), revision)
