"""Persistence: SQLAlchemy Core over SQLite (default) or PostgreSQL."""

# The kiosk's centre-link tables (lease, outbox) are part of `metadata` whoever opens the
# database first: a new one is made whole from it and stamped at the head revision.
from kiosk.store import link as _link  # noqa: F401

# The centre's terminal tables are part of the one schema (migration 0003), made with it.
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
