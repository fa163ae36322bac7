"""Persistence: SQLAlchemy Core over SQLite (default) or PostgreSQL."""

from kiosk.store.db import open_database, sqlite_url
from kiosk.store.queue import (
    ALLOCATED,
    PRINTED,
    SHOWN_NOT_PRINTED,
    TicketRecord,
    TicketStore,
    format_number,
)

__all__ = [
    "ALLOCATED",
    "PRINTED",
    "SHOWN_NOT_PRINTED",
    "TicketRecord",
    "TicketStore",
    "format_number",
    "open_database",
    "sqlite_url",
]
