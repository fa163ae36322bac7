"""Persistence: SQLAlchemy Core over SQLite (default) or PostgreSQL."""

from kiosk.store.db import (
    StoreUnavailable,
    open_database,
    open_database_file,
    reading,
    sqlite_url,
)
from kiosk.store.queue import (
    ALLOCATED,
    CALLED,
    INTERRUPTED,
    NO_SHOW,
    PRINTED,
    SERVED,
    SERVING,
    SHOWN_NOT_PRINTED,
    VOID,
    WAITING,
    TicketEvent,
    TicketRecord,
    TicketStore,
    format_number,
)

__all__ = [
    "ALLOCATED",
    "CALLED",
    "INTERRUPTED",
    "NO_SHOW",
    "PRINTED",
    "SERVED",
    "SERVING",
    "SHOWN_NOT_PRINTED",
    "VOID",
    "WAITING",
    "TicketEvent",
    "TicketRecord",
    "TicketStore",
    "StoreUnavailable",
    "format_number",
    "open_database",
    "open_database_file",
    "reading",
    "sqlite_url",
]

# Tables declared in modules of their own belong to `metadata` too: a new database is made
# from it whole (kiosk.store.db.upgrade_database), so they must be declared by then.
from kiosk.store import staff as _staff  # noqa: E402, F401
