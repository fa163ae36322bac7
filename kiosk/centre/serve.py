"""Running the centre service: its context from the config, and uvicorn over TLS with the
certificate of `kiosk centre init` (docs/architecture.md, Centre)."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from sqlalchemy import Engine
from starlette.applications import Starlette

from kiosk.centre.context import CentreContext
from kiosk.centre.pki import PkiFiles
from kiosk.config import Config

log = logging.getLogger(__name__)

# Seconds open connections (a display's event stream) get to finish at shutdown.
GRACEFUL_SECONDS = 5


def open_centre_database(config: Config) -> Engine:
    """The centre's database named by `config`, brought to the newest schema (a SQLite
    file made private first). Raises StoreUnavailable or SQLAlchemyError."""
    import kiosk.store.terminals  # noqa: F401  (its tables are part of the schema made here)
    from kiosk.store import open_database
    from kiosk.store.db import prepare_database_file

    url = config.centre_database_url
    if url.startswith("sqlite:///"):
        prepare_database_file(Path(url.removeprefix("sqlite:///")))
    return open_database(url)


def open_centre(config: Config) -> CentreContext:
    """The context of the centre named by `config` (see open_centre_database)."""
    from kiosk.store import TicketStore
    from kiosk.store.calls import CounterDesk

    engine = open_centre_database(config)
    desk = CounterDesk(engine, [s.letter for s in config.services])
    return CentreContext(config, engine, desk, TicketStore(engine))


class CentreServer(uvicorn.Server):
    """uvicorn's server, telling when it listens (`ready`), so that nobody sleeps on it."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if not self.should_exit:
            scheme = "https" if self.config.is_ssl else "http"
            for sock in sockets or []:
                host, port = sock.getsockname()[:2]
                log.info("centre service ready on %s://%s:%s", scheme,
                         f"[{host}]" if ":" in host else host, port)
            self.ready.set()


def make_server(app: Starlette, host: str, port: int, files: PkiFiles | None, *,
                access_log: bool = True) -> CentreServer:
    """TLS with the server's certificate unless `files` is None (development only)."""
    tls = {} if files is None else {"ssl_certfile": str(files.server_cert),
                                    "ssl_keyfile": str(files.server_key)}
    config = uvicorn.Config(app, host=host, port=port, lifespan="on", access_log=access_log,
                            timeout_graceful_shutdown=GRACEFUL_SECONDS, server_header=False,
                            log_config=None, **tls)
    return CentreServer(config)


def listening_socket(host: str, port: int) -> socket.socket:
    """The service's socket, bound. TCP_NODELAY (inherited by each accepted connection):
    an answer written in two pieces otherwise waits for the terminal's delayed ACK,
    40 ms on Linux, on every request."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    return sock


@contextmanager
def serving(app: Starlette, files: PkiFiles | None, *, host: str = "127.0.0.1",
            bound: float = 30.0) -> Iterator[str]:
    """Runs the app on a free port of `host` in a thread, for tests and benchmarks: yields
    its base URL once it listens, stops it at the end."""
    sock = listening_socket(host, 0)
    port = sock.getsockname()[1]
    server = make_server(app, host, port, files, access_log=False)

    def run() -> None:
        try:
            server.run(sockets=[sock])
        finally:
            server.ready.set()  # also when it failed to start: the caller stops waiting

    thread = threading.Thread(target=run, daemon=True, name=f"centre-{port}")
    thread.start()
    try:
        if not server.ready.wait(bound) or not server.started:
            raise RuntimeError(f"the centre service did not start within {bound} s")
        yield f"{'http' if files is None else 'https'}://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(bound)
        sock.close()
