"""A real centre for the kiosk's link tests and benchmarks: CORE's app under uvicorn with
TLS on a free port, stopped and started again on the same port to play an outage; and
kiosk links to it (or to a port where nothing answers)."""

from __future__ import annotations

import socket
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from kiosk.centre_link import CentreLink, LinkSettings
from kiosk.store.link import LinkStore

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SERVICES = ["A", "B", "C", "D", "E"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def offline_link(engine: Engine, day: date, size: int = 20) -> CentreLink:
    """A link to a centre that never answers (nothing listens on its port), holding one
    lease per service as if leased before the centre went down."""
    from kiosk.link_http import ClientCentreApi

    links = LinkStore(engine)
    for service in SERVICES:
        if not links.remaining(day.isoformat(), service):
            links.add_lease(day.isoformat(), service, 500, 500 + size - 1,
                            f"offline-{links.database_id()}-{day}-{service}")
    api = ClientCentreApi(f"https://127.0.0.1:{free_port()}", "no-token",
                          ca_fingerprint="ab" * 32, timeout=0.5)
    return CentreLink(engine, api, SERVICES, lambda: datetime.now(TZ),
                      LinkSettings(timeout=0.5, retry_min=0.2, retry_max=1.0))


def kiosk_link_for() -> None:
    """Placeholder until the centre's app is merged."""
