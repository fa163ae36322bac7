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
