"""Persistence: SQLAlchemy Core over SQLite (default) or PostgreSQL."""

# The centre's terminal tables are part of the one schema (migration 0003), made with it;
# so are its staff tables (0004) and the province outbox's cursor (0005).
from kiosk.store import province as _province  # noqa: F401
from kiosk.store import staff as _staff  # noqa: F401
from kiosk.store import terminals as _terminals  # noqa: F401
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
