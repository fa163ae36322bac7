"""Fixtures for the centre's pages: a real uvicorn server over TLS (a self-signed
certificate made here with `cryptography`) in a process of its own; the one chromium
of the session is tests/conftest.py's `browser`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pages_helpers import CentreServer, prepare_database, self_signed


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory) -> tuple[Path, Path]:  # type: ignore[no-untyped-def]
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def centre(tmp_path, tls_files) -> Iterator[CentreServer]:  # type: ignore[no-untyped-def]
    """A centre on a fresh SQLite database holding one staff member, not yet started."""
    url = f"sqlite:///{tmp_path / 'centre.sqlite3'}"
    prepare_database(url)
    server = CentreServer(url, tls_files, tmp_path / "server.log")
    yield server
    server.kill()


@pytest.fixture
def context(browser) -> Iterator:  # type: ignore[no-untyped-def]
    ctx = browser.new_context(ignore_https_errors=True, viewport={"width": 1366, "height": 768})
    ctx.set_default_timeout(15_000)  # a bound for every wait; none is expected to elapse
    yield ctx
    ctx.close()




@pytest.fixture(scope="module")
def shared_centre(tmp_path_factory, tls_files) -> Iterator[CentreServer]:  # type: ignore[no-untyped-def]
    """One centre for a module's tests that change nothing another test looks at."""
    folder = tmp_path_factory.mktemp("shared")
    url = f"sqlite:///{folder / 'centre.sqlite3'}"
    prepare_database(url)
    server = CentreServer(url, tls_files, folder / "server.log").start()
    yield server
    server.kill()
