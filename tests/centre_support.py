"""A real centre for tests: its config in a temp folder, its CA and certificate, its
database, and the service on a free loopback port over real TLS."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from kiosk.centre.app import make_app
from kiosk.centre.client import CentreClient
from kiosk.centre.context import CentreContext
from kiosk.centre.live import Notifier
from kiosk.centre.pki import InitResult, init_pki
from kiosk.centre.serve import open_centre, serving
from kiosk.centre.terminals import Terminals
from kiosk.config import Config, load_config


def centre_config(tmp_path: Path, db_url: str = "",
                  hostnames: tuple[str, ...] = ("localhost", "127.0.0.1")) -> Config:
    base = load_config()
    service = replace(base.centre_service, database=db_url, state_dir=str(tmp_path / "state"),
                      hostnames=hostnames)
    return replace(base, data_dir=tmp_path / "data", centre_service=service)


@dataclass
class RunningCentre:
    ctx: CentreContext
    url: str
    pki: InitResult

    @property
    def fingerprint(self) -> str:
        return self.pki.ca_fingerprint

    @property
    def terminals(self) -> Terminals:
        return Terminals(self.ctx.engine)

    def client(self, token: str | None = None, **kwargs: object) -> CentreClient:
        return CentreClient(self.url, ca_fingerprint=self.fingerprint, token=token,
                            **kwargs)  # type: ignore[arg-type]

    def enrolled(self, kind: str, name: str) -> CentreClient:
        """A terminal enrolled the way staff do it: a code, then the exchange over TLS."""
        code, _ = self.terminals.new_code(kind, name)
        client = self.client()
        client.enrol(code, kind)
        return client


def open_test_centre(config: Config) -> CentreContext:
    """open_centre, with a notifier that stops at once: on PostgreSQL its thread looks for
    stop every LISTEN_WAKE_SECONDS (1 s), which each test's shutdown waited out."""
    ctx = open_centre(config)
    ctx.notifier = Notifier(ctx.engine, listen_wake=0.05)
    return ctx


@contextmanager
def running_centre(config: Config) -> Iterator[RunningCentre]:
    pki = init_pki(config.centre_state_dir, config.centre_service.hostnames)
    ctx = open_test_centre(config)
    app = make_app(ctx, ca_pem=pki.files.ca_cert.read_text())
    try:
        with serving(app, pki.files) as url:
            yield RunningCentre(ctx, url, pki)
    finally:
        ctx.engine.dispose()
