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
    INTERRUPTED,
    PRINTED,
    SHOWN_NOT_PRINTED,
    TicketRecord,
    TicketStore,
    format_number,
)

__all__ = [
    "ALLOCATED",
    "INTERRUPTED",
    "PRINTED",
    "SHOWN_NOT_PRINTED",
    "TicketRecord",
    "TicketStore",
    "StoreUnavailable",
    "format_number",
    "open_database",
    "open_database_file",
    "reading",
    "sqlite_url",
]
