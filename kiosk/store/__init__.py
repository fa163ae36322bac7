"""Persistence: SQLAlchemy Core over SQLite (default) or PostgreSQL."""

# Every table of the one schema is in `metadata` whoever opens the database first (a new
# one is made whole from it and stamped at the head revision): the centre's terminals
# (migration 0003), its staff (0004), the province outbox's cursor (0005), the kiosk's
# centre-link lease and outbox (0006) and its staff audit log (0007).
from kiosk.store import audit as _audit  # noqa: F401
from kiosk.store import link as _link  # noqa: F401
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
