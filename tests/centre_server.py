"""A real centre for the kiosk's link tests: CORE's app under uvicorn with TLS on a free
loopback port, which can be stopped and started again on the same port (an outage); and
kiosk links to it, each kiosk with its own SQLite, or to a port where nothing answers."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from kiosk.centre_link import CentreLink, LinkSettings
from kiosk.config import Config, load_config
from kiosk.store.link import LinkStore

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SERVICES = ["A", "B", "C", "D", "E"]
START_BOUND = 30.0  # seconds the service may take to listen


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fast_settings(**changes: object) -> LinkSettings:
    """Link settings for tests: a short timeout and quick retries (seconds, not minutes)."""
    return replace(LinkSettings(lease_size=20, low_water=5, timeout=2.0, retry_min=0.1,
                                retry_max=0.5), **changes)  # type: ignore[arg-type]


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
                      fast_settings(timeout=0.5))


@dataclass
class Centre:
    """The centre service of `config`, on `port` while started."""

    config: Config
    port: int
    ca_pem: str
    fingerprint: str
    ctx: object
    app: object
    files: object
    _server: object = None
    _thread: threading.Thread | None = None
    _sock: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def engine(self) -> Engine:
        return self.ctx.engine  # type: ignore[attr-defined]

    def start(self) -> None:
        from kiosk.centre.serve import make_server

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        server = make_server(self.app, "127.0.0.1", self.port, self.files,  # type: ignore[arg-type]
                             access_log=False)

        def run() -> None:
            try:
                server.run(sockets=[sock])
            finally:
                server.ready.set()

        self._server, self._sock = server, sock
        self._thread = threading.Thread(target=run, daemon=True, name=f"centre-{self.port}")
        self._thread.start()
        if not server.ready.wait(START_BOUND) or not server.started:
            raise RuntimeError(f"the centre did not start within {START_BOUND} s")

    def stop(self) -> None:
        """The service goes away (its database stays): connections are refused."""
        if self._server is None:
            return
        # At once, open connections cut (a network gone), not a graceful wait for them.
        self._server.should_exit = True  # type: ignore[attr-defined]
        self._server.force_exit = True  # type: ignore[attr-defined]
        assert self._thread is not None and self._sock is not None
        self._thread.join(START_BOUND)
        self._sock.close()
        self._server = None

    def token(self, name: str) -> str:
        """A kiosk enrolled the way staff do it: a code, exchanged over TLS."""
        from kiosk.centre.client import CentreClient
        from kiosk.centre.terminals import Terminals

        code, _ = Terminals(self.engine).new_code("kiosk", name)
        with CentreClient(self.url, ca_fingerprint=self.fingerprint) as client:
            return client.enrol(code, "kiosk").token

    def kiosk_link(self, engine: Engine, name: str, token: str | None = None,
                   **changes: object) -> CentreLink:
        """The link of kiosk `name` (enrolled now, unless its `token` is given)."""
        from kiosk.link_http import ClientCentreApi

        settings = fast_settings(**changes)
        api = ClientCentreApi(self.url, token or self.token(name), ca_pem=self.ca_pem,
                              ca_fingerprint=self.fingerprint, timeout=settings.timeout)
        return CentreLink(engine, api, SERVICES, lambda: datetime.now(TZ), settings)


def make_centre(folder: Path, db_url: str = "") -> Centre:
    """A centre on `db_url` (default: a SQLite file in `folder`), not started yet."""
    from kiosk.centre.app import make_app
    from kiosk.centre.pki import init_pki
    from tests.centre_support import open_test_centre

    base = load_config()
    service = replace(base.centre_service, database=db_url, state_dir=str(folder / "state"),
                      hostnames=("localhost", "127.0.0.1"))
    config = replace(base, data_dir=folder / "data", centre_service=service)
    pki = init_pki(config.centre_state_dir, service.hostnames)
    ctx = open_test_centre(config)
    ca_pem = pki.files.ca_cert.read_text()
    return Centre(config, free_port(), ca_pem, pki.ca_fingerprint, ctx,
                  make_app(ctx, ca_pem=ca_pem), pki.files)
