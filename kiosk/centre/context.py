"""What every part of the centre service shares: built once by `kiosk centre serve` (or a
test) and handed to the routes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from kiosk.config import Config
    from kiosk.store.calls import CounterDesk
    from kiosk.store.queue import TicketStore


@dataclass
class CentreContext:
    config: Config
    engine: Engine
    desk: CounterDesk
    store: TicketStore
    # kiosk.centre.live.Notifier: wakes the display's event streams after a change.
    notifier: Any = None
